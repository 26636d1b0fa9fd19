-- 005 (PostgreSQL): SQLite's 013. Telegram conversations in progress (/add, /assess), kept
-- in the database so that the process taking over polling carries them on. `conv_key` is the
-- conversation's key as JSON (its chat and user); `state` the step.
CREATE TABLE telegram_conversations (
    name       TEXT NOT NULL,
    conv_key   TEXT NOT NULL,
    state      INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (name, conv_key)
);
-- What a person's form collected so far (python-telegram-bot's user_data), as JSON.
CREATE TABLE telegram_user_data (
    user_id    BIGINT PRIMARY KEY,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
