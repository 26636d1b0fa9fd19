-- 007: large imports are written in short batches, hidden until one short transaction
-- shows them all (so a 100,000-row import never holds the write lock for long).

-- Every import of developments. visible_at is NULL while its rows are being written (they
-- are hidden from every read), then the moment they all became visible: digest windows
-- include the developments of an import made visible in the window. pid and host let a
-- later import discard the rows of one whose process died.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    visible_at  TEXT
);
CREATE INDEX imports_visible ON imports (visible_at);

-- The import that wrote the row (NULL: added another way).
ALTER TABLE developments ADD COLUMN import_id INTEGER;
CREATE INDEX developments_import ON developments (import_id);
