"""The embedded default backend: one SQLite file (WAL, FTS5), no server to run."""
