-- Feeds: a pause the moderators have not been told about yet (410 Gone, failing for a
-- day), and how many items the last poll left out beyond the per-poll cap.
ALTER TABLE feeds ADD COLUMN notice_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN last_capped INTEGER NOT NULL DEFAULT 0;
