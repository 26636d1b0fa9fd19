-- 005: scopes per platform. A Discord server and a Telegram chat are different scopes, so
-- every scope-bearing row says which platform its scope id belongs to. Rows written before
-- Telegram existed are Discord's. Global rows (guild_id NULL) have no platform.

ALTER TABLE developments ADD COLUMN platform TEXT CHECK (platform IN ('discord', 'telegram'));
UPDATE developments SET platform = 'discord' WHERE guild_id IS NOT NULL;
DROP INDEX developments_scope_date;
CREATE INDEX developments_scope_date ON developments (platform, guild_id, occurred_on DESC);

ALTER TABLE assessments ADD COLUMN platform TEXT CHECK (platform IN ('discord', 'telegram'));
UPDATE assessments SET platform = 'discord' WHERE guild_id IS NOT NULL;
DROP INDEX assessments_current;
CREATE INDEX assessments_current ON assessments (topic, platform, guild_id, id DESC);

-- Settings are keyed by (platform, scope id): a table of its own replaces guild_settings
-- (nothing references it, so it is copied and dropped).
CREATE TABLE scope_settings (
    platform          TEXT NOT NULL CHECK (platform IN ('discord', 'telegram')),
    scope_id          INTEGER NOT NULL,
    timezone          TEXT,
    moderator_role_id INTEGER,
    language          TEXT,
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (platform, scope_id)
) WITHOUT ROWID;
INSERT INTO scope_settings (platform, scope_id, timezone, moderator_role_id, language,
                            updated_by, updated_at)
    SELECT 'discord', guild_id, timezone, moderator_role_id, language, updated_by, updated_at
    FROM guild_settings;
DROP TABLE guild_settings;

-- A subscription's guild_id is its scope id (a Discord server, or the Telegram chat it
-- was made for); channel_id stays unique across platforms: Discord channel snowflakes are
-- above 10^16 and Telegram chat ids below 10^13 in magnitude. The ledger
-- (digest_deliveries) reaches its platform through its subscription.
ALTER TABLE subscriptions ADD COLUMN platform TEXT NOT NULL DEFAULT 'discord'
    CHECK (platform IN ('discord', 'telegram'));
DROP INDEX subscriptions_guild;
CREATE INDEX subscriptions_scope ON subscriptions (platform, guild_id);
