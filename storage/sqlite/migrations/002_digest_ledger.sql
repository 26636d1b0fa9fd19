-- 002: what the digest scheduler and its delivery ledger need beyond 001.

-- Content already delivered runs up to this instant; the next digest starts here.
ALTER TABLE subscriptions ADD COLUMN covered_until TEXT;
ALTER TABLE subscriptions ADD COLUMN paused_at TEXT;
ALTER TABLE subscriptions ADD COLUMN last_error TEXT;
ALTER TABLE subscriptions ADD COLUMN updated_by TEXT;
ALTER TABLE subscriptions ADD COLUMN updated_at TEXT;
CREATE INDEX subscriptions_due ON subscriptions (status, next_run_utc);
CREATE INDEX subscriptions_guild ON subscriptions (guild_id);

-- A delivery row is written before the first message is posted and holds everything a
-- restart needs to finish it: the channel, the rendered parts (so a resumed delivery posts
-- the same text under the same nonces), the content window and who holds the lease.
ALTER TABLE digest_deliveries ADD COLUMN channel_id INTEGER;
ALTER TABLE digest_deliveries ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digest_deliveries ADD COLUMN window_start TEXT;
ALTER TABLE digest_deliveries ADD COLUMN window_end TEXT;
ALTER TABLE digest_deliveries ADD COLUMN folded TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digest_deliveries ADD COLUMN lease_owner TEXT;
ALTER TABLE digest_deliveries ADD COLUMN trigger TEXT NOT NULL DEFAULT 'schedule';
CREATE INDEX digest_deliveries_open ON digest_deliveries (state, lease_until);
