-- News feeds, the review queue of candidate developments, and rejected stories.
-- Every one belongs to a queue: a scope (platform, scope_id: a Discord server or a Telegram
-- chat) or the global one (both NULL, kept by editors).

CREATE TABLE feeds (
    id             INTEGER PRIMARY KEY,
    platform       TEXT CHECK (platform IN ('discord', 'telegram')),
    scope_id       INTEGER CHECK ((platform IS NULL) = (scope_id IS NULL)),
    url            TEXT NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    topics         TEXT NOT NULL DEFAULT '',   -- topic slugs, space-separated; '' = any
    keywords       TEXT NOT NULL DEFAULT '',   -- lowercase, '|'-separated; '' = any
    interval_s     INTEGER NOT NULL DEFAULT 900 CHECK (interval_s >= 60),
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    pause_reason   TEXT,
    etag           TEXT,
    last_modified  TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    failing_since  TEXT,
    last_error     TEXT,
    last_polled_at TEXT,
    next_poll_at   TEXT NOT NULL,
    added_by       TEXT NOT NULL,
    added_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX feeds_scope_url ON feeds (COALESCE(platform, ''), COALESCE(scope_id, 0), url);
CREATE INDEX feeds_due ON feeds (status, next_poll_at);

-- Every item a feed has delivered (GUID, else link): seen once, never processed again.
CREATE TABLE feed_items (
    feed_id  INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    item_key TEXT NOT NULL,
    PRIMARY KEY (feed_id, item_key)
) WITHOUT ROWID;

CREATE TABLE candidates (
    id              INTEGER PRIMARY KEY,
    platform        TEXT CHECK (platform IN ('discord', 'telegram')),
    scope_id        INTEGER CHECK ((platform IS NULL) = (scope_id IS NULL)),
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    occurred_on     TEXT NOT NULL,
    date_precision  TEXT NOT NULL CHECK (date_precision IN ('day', 'month', 'year')),
    date_from_feed  INTEGER NOT NULL DEFAULT 1, -- 0: the feed gave no date; first-seen day
    countries       TEXT NOT NULL,
    domain          TEXT NOT NULL CHECK (domain IN ('security', 'economy', 'diplomacy', 'society')),
    relevance       REAL NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approving', 'approved', 'rejected')),
    development_id  INTEGER REFERENCES developments (id) ON DELETE SET NULL,
    card_channel_id INTEGER,
    card_message_id INTEGER,
    created_at      TEXT NOT NULL,
    decided_by      TEXT,
    decided_at      TEXT
);
CREATE INDEX candidates_queue ON candidates (platform, scope_id, status, id);

CREATE TABLE candidate_sources (
    id           INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    feed_id      INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    link         TEXT NOT NULL,
    title        TEXT NOT NULL,
    publisher    TEXT,
    published_on TEXT,
    seen_on      TEXT NOT NULL,
    UNIQUE (candidate_id, link)
);
CREATE INDEX candidate_sources_link ON candidate_sources (link);

-- A rejected story never returns to that queue: its links and its title.
CREATE TABLE rejected_stories (
    id          INTEGER PRIMARY KEY,
    platform    TEXT CHECK (platform IN ('discord', 'telegram')),
    scope_id    INTEGER CHECK ((platform IS NULL) = (scope_id IS NULL)),
    title       TEXT NOT NULL,
    links       TEXT NOT NULL DEFAULT '[]',   -- JSON list
    rejected_by TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);

-- Where each queue's review cards are posted. queue_key is the scope's key ('global',
-- a Discord server id, or 'telegram:<chat id>'); platform says whose channel channel_id is.
CREATE TABLE feed_review_channels (
    queue_key  TEXT PRIMARY KEY,
    platform   TEXT NOT NULL CHECK (platform IN ('discord', 'telegram')),
    channel_id INTEGER NOT NULL,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);
