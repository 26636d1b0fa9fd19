"""SQLite storage: the database connection, numbered migrations and queries."""
