"""Restoring a backup without ever losing the live database.

A restore proves the file is a backup of ours (its tables and columns are exactly those the
migrations create for its schema version, and it passes `integrity_check`), copies it to a
staging file beside the live database, migrates and checks the copy, keeps the live database
as `<db>.before-restore-<time>`, and only then swaps the copy in with one `os.replace`.
Any failure before the swap removes the staging file and leaves the live database as it was.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from storage.sqlite.database import (
    BadDatabaseFile,
    Database,
    DatabaseBusy,
    DatabaseError,
    load_migrations,
    readonly_uri,
)

log = logging.getLogger(__name__)
SQLITE_HEADER = b"SQLite format 3\x00"
Schema = dict[str, frozenset[str]]


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    version: int
    previous: Path | None


def _tables(conn: sqlite3.Connection) -> Schema:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: frozenset(r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')) for n in names}


@cache
def expected_schema(version: int) -> Schema:
    """The tables and columns migrations 1..`version` create (built in memory)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(
            "CREATE TABLE schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for migration in load_migrations()[:version]:
            conn.executescript(migration.sql)
        return _tables(conn)
    finally:
        conn.close()


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(readonly_uri(path), uri=True)


def inspect_backup(path: Path) -> int:
    """The schema version of a backup of ours; `BadDatabaseFile` for anything else.

    Reads only: the file is opened `mode=ro` and never rewritten.
    """
    not_ours = f"{path} is not a briefbot backup"
    if not path.is_file():
        raise BadDatabaseFile(f"{path} does not exist")
    with path.open("rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if not header:
        raise BadDatabaseFile(f"{not_ours}: the file is empty")
    if header != SQLITE_HEADER:
        raise BadDatabaseFile(f"{not_ours}: it is not a SQLite database")
    latest = len(load_migrations())
    try:
        conn = _open_readonly(path)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version == 0:
                raise BadDatabaseFile(f"{not_ours}: it has no briefbot schema version")
            if version > latest:
                raise BadDatabaseFile(
                    f"{path} has schema version {version}, newer than this briefbot "
                    f"(knows up to {latest}): upgrade briefbot first"
                )
            actual, expected = _tables(conn), expected_schema(version)
            if actual != expected:
                odd = sorted(set(actual) ^ set(expected)) or sorted(
                    t for t in actual if actual[t] != expected[t]
                )
                raise BadDatabaseFile(
                    f"{not_ours}: its tables differ from schema version {version} "
                    f"({', '.join(odd[:3])})"
                )
            health = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
            if health != "ok":
                raise BadDatabaseFile(f"{path} fails its integrity check: {health[:200]}")
            return version
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BadDatabaseFile(f"{path} cannot be read as a SQLite database: {exc}") from None


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of `source` (read-only) at `target`, through SQLite's backup."""
    src = _open_readonly(source)
    try:
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()


def _remove(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)


def _set_aside(live: Path, now: datetime) -> Path | None:
    """Copy the live database (with its WAL) to `<db>.before-restore-<time>`."""
    if not live.exists():
        return None
    kept = live.with_name(f"{live.name}.before-restore-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    conn = sqlite3.connect(live, timeout=1.0)
    try:
        dest = sqlite3.connect(kept)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        # Fold the WAL into the file: closing the last connection then deletes it.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        _remove(kept)
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseBusy() from exc
        raise
    except sqlite3.DatabaseError:
        # The live file is damaged (the usual reason to restore): keep its bytes as they are.
        _remove(kept)
        shutil.copy2(live, kept)
    finally:
        conn.close()
    # The last connection to close deletes the WAL: one still there means another process.
    if Path(f"{live}-wal").exists():
        _remove(kept)
        raise DatabaseError(
            f"{live} is open in another process (stop the bot before restoring); nothing changed"
        )
    return kept


async def restore_database(backup: Path, live: Path, now: datetime) -> Restored:
    """Replace `live` with a checked, migrated copy of `backup`; keep the old one beside it."""
    await asyncio.to_thread(inspect_backup, backup)
    staging = live.with_name(f"{live.name}.restoring")
    _remove(staging)
    try:
        live.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_copy, backup, staging)
        copy = await Database.open(staging)
        try:
            health = await copy.integrity_check()
            version = await copy.schema_version()
        finally:
            await copy.close()
        if health != "ok":
            raise BadDatabaseFile(f"{backup} fails its integrity check after migrating: {health}")
        previous = await asyncio.to_thread(_set_aside, live, now)
        os.replace(staging, live)
    except BaseException:
        _remove(staging)
        raise
    # A WAL of the old file must never be replayed onto the restored one.
    for leftover in (Path(f"{live}-wal"), Path(f"{live}-shm")):
        leftover.unlink(missing_ok=True)
    log.info("restored database=%s backup=%s version=%s kept=%s", live, backup, version, previous)
    return Restored(version, previous)
