-- 004 (PostgreSQL): SQLite's 012. Sentence embeddings for /ask (only written when the
-- `semantic` extra is installed): one int8-quantised vector per published development, with
-- its scale and the model that made it; `seq` grows with every write so a process reads only
-- what changed since it last looked. Removed with the development.
CREATE TABLE development_vectors (
    development_id BIGINT PRIMARY KEY REFERENCES developments (id) ON DELETE CASCADE,
    model          TEXT NOT NULL,
    scale          DOUBLE PRECISION NOT NULL,
    vector         BYTEA NOT NULL,
    seq            BIGINT NOT NULL
);
CREATE INDEX development_vectors_seq ON development_vectors (seq);
