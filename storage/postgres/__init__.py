"""The PostgreSQL backend (`DATABASE_URL=postgresql://…`): asyncpg, its own numbered
migrations, advisory locks for the singletons. SQLite stays the default backend."""
