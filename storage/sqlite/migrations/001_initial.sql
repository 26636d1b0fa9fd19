-- 001: catalogue, sources, revisions, assessments, server settings, subscriptions, search.

CREATE TABLE developments (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('event', 'indicator', 'analysis')),
    title             TEXT NOT NULL,
    summary           TEXT NOT NULL,
    occurred_on       TEXT NOT NULL,            -- ISO date; first day of the month/year for coarser precision
    date_precision    TEXT NOT NULL CHECK (date_precision IN ('day', 'month', 'year')),
    countries         TEXT NOT NULL,            -- ISO alpha-2 codes, space-separated, sorted
    domain            TEXT NOT NULL CHECK (domain IN ('security', 'economy', 'diplomacy', 'society')),
    tags              TEXT NOT NULL DEFAULT '', -- space-separated
    importance        INTEGER NOT NULL CHECK (importance BETWEEN 1 AND 3),
    why_it_matters    TEXT,
    guild_id          INTEGER,                  -- NULL: global catalogue
    status            TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'retracted')),
    retraction_reason TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    seed_key          TEXT UNIQUE               -- set on rows of the bundled dataset
);
CREATE INDEX developments_scope_date ON developments (guild_id, occurred_on DESC);
CREATE INDEX developments_updated ON developments (updated_at);

-- Topic membership, derived from countries and domain when a development is saved.
CREATE TABLE development_topics (
    topic          TEXT NOT NULL,
    occurred_on    TEXT NOT NULL,
    development_id INTEGER NOT NULL REFERENCES developments (id) ON DELETE CASCADE,
    PRIMARY KEY (topic, occurred_on, development_id)
) WITHOUT ROWID;
CREATE INDEX development_topics_dev ON development_topics (development_id);

CREATE TABLE sources (
    id             INTEGER PRIMARY KEY,
    development_id INTEGER NOT NULL REFERENCES developments (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    publisher      TEXT,
    url            TEXT,
    published_on   TEXT,
    accessed_on    TEXT,
    UNIQUE (development_id, position)
);

CREATE TABLE revisions (
    id             INTEGER PRIMARY KEY,
    development_id INTEGER NOT NULL REFERENCES developments (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('create', 'edit', 'retract', 'import')),
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    changes        TEXT NOT NULL,   -- JSON: {"field": [old, new], ...}
    snapshot       TEXT NOT NULL,   -- JSON: the development after this revision
    UNIQUE (development_id, number)
);

-- Every assessment ever set; the current one per (topic, scope) is the latest row.
CREATE TABLE assessments (
    id          INTEGER PRIMARY KEY,
    topic       TEXT NOT NULL,
    guild_id    INTEGER,
    bottom_line TEXT NOT NULL,
    trend       TEXT NOT NULL CHECK (trend IN ('improving', 'unchanged', 'deteriorating')),
    watch_next  TEXT NOT NULL DEFAULT '[]',   -- JSON list of strings
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    seed_key    TEXT UNIQUE
);
CREATE INDEX assessments_current ON assessments (topic, guild_id, id DESC);

CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    timezone          TEXT,
    moderator_role_id INTEGER,
    language          TEXT,
    updated_by        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL UNIQUE,
    topics        TEXT NOT NULL,               -- JSON list of topic slugs
    cadence       TEXT NOT NULL DEFAULT 'weekly' CHECK (cadence IN ('weekly', 'daily')),
    weekday       INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),  -- 0 = Monday
    at_time       TEXT NOT NULL DEFAULT '09:00',
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    post_empty    INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_reason TEXT,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    next_run_utc  TEXT,
    last_period   TEXT,
    last_delivered_at TEXT
);

-- One row per (subscription, period): the delivery ledger.
CREATE TABLE digest_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period_key      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'skipped', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    parts_sent      INTEGER NOT NULL DEFAULT 0,
    message_ids     TEXT NOT NULL DEFAULT '[]',
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    error           TEXT,
    UNIQUE (subscription_id, period_key)
);

-- Bundled datasets already loaded, so a second start adds nothing.
CREATE TABLE dataset_loads (
    dataset   TEXT PRIMARY KEY,
    loaded_at TEXT NOT NULL
);

-- Full-text index over title, summary, tags and sources; rowid = developments.id.
-- Maintained by storage code in the same transaction as every add, edit and retract.
CREATE VIRTUAL TABLE developments_fts USING fts5 (
    title, summary, tags, sources,
    tokenize = 'unicode61 remove_diacritics 2'
);
