"""The SQLite database: migrations, pragmas, version refusal, transactions, backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.dataset import load_starter
from storage.sqlite.database import Database, DatabaseError, load_migrations
from tests.helpers import FixedClock, row_counts


def _schema(path: Path) -> list[tuple[str, str, str]]:
    """Every schema object, without the SQL text (ALTERs make it differ from CREATE)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
    conn.close()
    return [tuple(r) for r in rows]


def _columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        result = {
            t: sorted(r[1] for r in conn.execute(f"PRAGMA table_info('{t}')")) for t in tables
        }
    conn.close()
    return result


def test_migrations_are_numbered() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "initial"


async def test_migrate_from_empty(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "new.sqlite3")
    try:
        latest = len(load_migrations())
        assert await db.schema_version() == latest
        applied = await db.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [r[0] for r in applied] == list(range(1, latest + 1))
        assert await db.migrate() == []  # idempotent
        assert await db.integrity_check() == "ok"
    finally:
        await db.close()


async def test_pragmas(empty_db: Database) -> None:
    assert await empty_db.scalar("PRAGMA journal_mode") == "wal"
    assert await empty_db.scalar("PRAGMA foreign_keys") == 1


@pytest.mark.parametrize("start", range(len(load_migrations())))
async def test_migrate_from_every_earlier_version(
    tmp_path: Path, start: int, clock: FixedClock
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    db = await Database.open(fresh)
    await db.close()

    path = tmp_path / f"from-{start}.sqlite3"
    db = await Database.open(path, migrate=False)
    try:
        assert await db.migrate(target=start) == list(range(1, start + 1))
        assert await db.schema_version() == start
        remaining = await db.migrate()
        assert remaining == list(range(start + 1, len(load_migrations()) + 1))
        assert await db.integrity_check() == "ok"
        assert await load_starter(db, clock) > 0
    finally:
        await db.close()
    assert _schema(path) == _schema(fresh)
    assert _columns(path) == _columns(fresh)


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 5}")
    conn.close()
    for migrate in (True, False):
        with pytest.raises(DatabaseError) as err:
            await Database.open(path, migrate=migrate)
        message = str(err.value)
        assert "newer" in message and str(path) in message
        assert "\n" not in message
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(load_migrations()) + 5
    conn.close()


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    before = await row_counts(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as w:
            await w.execute("DELETE FROM sources")
            await w.execute("DELETE FROM revisions")
            raise RuntimeError("boom")
    assert await row_counts(db) == before


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as w:
            await w.execute(
                "INSERT INTO sources (development_id, position, title) VALUES (9999, 1, 't')"
            )


async def test_backup_is_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "copy.sqlite3"
    await db.backup_to(target)
    assert not target.with_name(target.name + ".partial").exists()
    copy = await Database.open(target, migrate=False)
    try:
        assert await copy.integrity_check() == "ok"
        assert await row_counts(copy) == await row_counts(db)
        assert await copy.schema_version() == await db.schema_version()
    finally:
        await copy.close()


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"definitely not sqlite " * 100)
    before = junk.read_bytes()
    for migrate in (True, False):
        with pytest.raises(DatabaseError, match="cannot be opened as a SQLite database"):
            await Database.open(junk, migrate=migrate)
    assert junk.read_bytes() == before
