-- 006 (issue 12): new columns only.

-- Where an assessment comes from: a JSON list of sources in the development source format.
ALTER TABLE assessments ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';

-- Digest filters: words a development must contain (any of them), words it must not
-- contain, and the domains it may belong to. JSON lists; empty means no filter.
ALTER TABLE subscriptions ADD COLUMN include_words TEXT NOT NULL DEFAULT '[]';
ALTER TABLE subscriptions ADD COLUMN exclude_words TEXT NOT NULL DEFAULT '[]';
ALTER TABLE subscriptions ADD COLUMN domains TEXT NOT NULL DEFAULT '[]';
