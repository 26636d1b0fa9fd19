-- 012: sentence embeddings for /ask (only written when the `semantic` extra is installed).
-- One int8-quantised vector per published development, with its scale and the model that
-- made it; `seq` grows with every write so a process reads only what changed since it last
-- looked. Removed with the development.
CREATE TABLE development_vectors (
    development_id INTEGER PRIMARY KEY REFERENCES developments (id) ON DELETE CASCADE,
    model          TEXT NOT NULL,
    scale          REAL NOT NULL,
    vector         BLOB NOT NULL,
    seq            INTEGER NOT NULL
);
CREATE INDEX development_vectors_seq ON development_vectors (seq);
