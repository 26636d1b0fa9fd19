"""`briefbot db restore` proves a file is our backup and migrates it before replacing
anything, keeps the previous database beside it, and refuses everything else untouched."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.sqlite.database import Database, load_migrations
from tests.cli.test_cli import Cli, _import_file, one_line_error


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def _foreign_database(path: Path, version: int = 1) -> None:
    """A SQLite file with briefbot's version number but someone else's tables."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_a_foreign_database_with_our_version_number_is_refused(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    before, live = cli.counts(), cli.db.read_bytes()
    foreign = cli.root / "other-app.sqlite3"
    _foreign_database(foreign)
    foreign_bytes = foreign.read_bytes()
    one_line_error(cli("db", "restore", str(foreign)), str(foreign), "not a briefbot backup")
    assert cli.counts() == before
    assert cli.db.read_bytes() == live
    assert foreign.read_bytes() == foreign_bytes
    assert sorted(p.name for p in cli.db.parent.iterdir()) == [cli.db.name]


def test_a_backup_missing_a_column_is_refused(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    before = cli.counts()
    damaged = cli.root / "damaged.sqlite3"
    cli.ok("db", "backup", str(damaged))
    conn = sqlite3.connect(damaged)
    conn.execute("ALTER TABLE developments DROP COLUMN why_it_matters")
    conn.commit()
    conn.close()
    one_line_error(cli("db", "restore", str(damaged)), "developments")
    assert cli.counts() == before


def test_an_empty_backup_is_refused_and_not_rewritten(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    before = cli.counts()
    empty = cli.root / "empty.sqlite3"
    empty.touch()
    one_line_error(cli("db", "restore", str(empty)), "empty")
    assert empty.stat().st_size == 0
    assert not Path(f"{empty}-wal").exists()
    assert cli.counts() == before


def test_restore_keeps_the_previous_database(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    backup = cli.root / "backup.sqlite3"
    cli.ok("db", "backup", str(backup))
    original = cli.counts()
    _import_file(cli.root / "new.json")
    cli.ok("import", "new.json")
    out = cli.ok("db", "restore", str(backup))
    assert "previous database is kept as" in out
    assert cli.counts() == original
    kept = [p for p in cli.db.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM developments")]
    conn.close()
    assert "An operator's addition" in titles
    assert not cli.db.with_name(cli.db.name + ".restoring").exists()


async def _version_one_backup(path: Path) -> None:
    db = await Database.open(path, migrate=False)
    try:
        await db.migrate(target=1)
        async with db.transaction() as w:
            await w.execute(
                "INSERT INTO dataset_loads (dataset, loaded_at) VALUES ('old', '2023-01-01T00:00:00Z')"
            )
    finally:
        await db.close()


def test_an_older_backup_is_migrated_before_it_replaces_anything(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    old = cli.root / "old.sqlite3"
    asyncio.run(_version_one_backup(old))
    out = cli.ok("db", "restore", str(old))
    assert f"schema version {len(load_migrations())}" in out
    assert "integrity ok" in cli.ok("check")
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT dataset FROM dataset_loads").fetchall() == [("old",)]
    conn.close()


def test_a_damaged_live_database_is_kept_as_it_was(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    backup = cli.root / "backup.sqlite3"
    cli.ok("db", "backup", str(backup))
    cli.db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)  # a damaged live file
    damaged = cli.db.read_bytes()
    assert "restored" in cli.ok("db", "restore", str(backup))
    kept = [p for p in cli.db.parent.iterdir() if ".before-restore-" in p.name]
    assert [p.read_bytes() for p in kept] == [damaged]
    assert "integrity ok" in cli.ok("check")


def test_restore_refuses_while_another_process_has_the_database_open(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    backup = cli.root / "backup.sqlite3"
    cli.ok("db", "backup", str(backup))
    _import_file(cli.root / "new.json")
    cli.ok("import", "new.json")
    before = cli.counts()
    running = sqlite3.connect(cli.db)  # as the running bot would hold it
    try:
        running.execute("SELECT COUNT(*) FROM developments").fetchone()
        result = cli("db", "restore", str(backup))
    finally:
        running.close()
    assert result.returncode == 1
    assert "open in another process" in result.stderr
    assert cli.counts() == before
    assert not [p for p in cli.db.parent.iterdir() if ".before-restore-" in p.name]
