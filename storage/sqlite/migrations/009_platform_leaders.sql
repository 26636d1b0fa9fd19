-- 009: digest delivery is led per platform. A process leads only the platforms whose front
-- end it runs, so a Discord-only and a Telegram-only process on one database each deliver
-- their own platform (with one leader for both, the other platform's digests waited forever).
-- Discord's limits are per bot and Telegram's per bot too: one sender per platform keeps both.
-- (`delivery_leader` of 004 is no longer read.)
CREATE TABLE delivery_leaders (
    platform    TEXT PRIMARY KEY CHECK (platform IN ('discord', 'telegram')),
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    token       INTEGER NOT NULL
) WITHOUT ROWID;

-- The platform a due subscription waits for when no running process serves it for longer
-- than one period (shown by /subscriptions); cleared by its next delivery.
ALTER TABLE subscriptions ADD COLUMN waiting_for TEXT;
