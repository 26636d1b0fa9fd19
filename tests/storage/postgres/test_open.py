"""`Database.open` picks the backend from its target: a postgresql:// URL or a file."""

from __future__ import annotations

from pathlib import Path

from storage.postgres.database import PostgresDatabase
from storage.sqlite.database import Database


async def test_a_postgresql_url_opens_postgresql_and_a_path_opens_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    pg = await Database.open(pg_url)
    lite = await Database.open(str(tmp_path / "lite.sqlite3"))
    try:
        assert isinstance(pg, PostgresDatabase) and pg.dialect == "postgresql"
        assert isinstance(lite, Database) and lite.dialect == "sqlite"
        assert (tmp_path / "lite.sqlite3").exists()
    finally:
        await pg.close()
        await lite.close()
