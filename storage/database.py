"""The SQLite database: one aiosqlite connection per process, WAL, migrations, backup.

One connection is deliberate: this SQLite (3.40) has the WAL-reset race that needs two
connections, and a bot's load fits one connection easily. Every statement goes through an
`asyncio.Lock` so a read never sees another coroutine's half-done write transaction.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import weakref
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import aiosqlite

log = logging.getLogger(__name__)

Row = sqlite3.Row
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class DatabaseError(Exception):
    """The database cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL migration file."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """All bundled migrations, in order."""
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise DatabaseError("migrations are not numbered 001, 002, … without gaps")
    return found


class Database:
    """An open SQLite database with the project's pragmas and a write lock."""

    # Every open database of the process: aiosqlite's worker thread keeps the interpreter
    # alive at exit until its connection is closed, so owners that may be dropped without
    # closing (a bot detached in tests) can be found and closed.
    opened: ClassVar[weakref.WeakSet[Database]] = weakref.WeakSet()

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self.closed = False
        Database.opened.add(self)

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        """Open (creating if needed) and, by default, migrate the database at `path`."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        db = cls(conn, path)
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA busy_timeout=5000",
                "PRAGMA foreign_keys=ON",
            ):
                # Close each cursor at once: an open PRAGMA statement blocks COMMIT later.
                async with conn.execute(pragma) as cur:
                    await cur.fetchall()
            if migrate:
                await db.migrate()
            else:
                await db.check_version()
        except sqlite3.DatabaseError as exc:
            # Not a database (or a damaged one): close it, or its thread keeps the process alive.
            await conn.close()
            raise DatabaseError(f"{path} cannot be opened as a SQLite database: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection (checkpointing the WAL); closing twice is harmless."""
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            Database.opened.discard(self)
            await self._conn.close()

    # --- reading -------------------------------------------------------------------------

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query and return every row."""
        async with self._lock, self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query and return its first row, if any."""
        async with self._lock, self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # --- writing -------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writer]:
        """A write transaction (`BEGIN IMMEDIATE`): committed on exit, rolled back on error."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Writer(self._conn)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    # --- schema --------------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The `PRAGMA user_version` of the file (0 for a new database)."""
        return int(await self.scalar("PRAGMA user_version"))

    async def check_version(self) -> int:
        """Refuse a database written by a newer briefbot."""
        current = await self.schema_version()
        latest = len(load_migrations())
        if current > latest:
            raise DatabaseError(
                f"{self.path} has schema version {current}, newer than this briefbot "
                f"(knows up to {latest}): upgrade briefbot or restore an older backup"
            )
        return current

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations (up to `target`), each in its own transaction."""
        current = await self.check_version()
        applied = []
        for migration in load_migrations():
            if migration.version <= current or (target is not None and migration.version > target):
                continue
            script = (
                "BEGIN IMMEDIATE;\n"
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);\n"
                f"{migration.sql}\n;"
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
                f"({migration.version}, '{migration.name}', strftime('%Y-%m-%dT%H:%M:%SZ','now'));\n"
                f"PRAGMA user_version = {migration.version};\n"
                "COMMIT;"
            )
            async with self._lock:
                try:
                    await self._conn.executescript(script)
                except sqlite3.Error as exc:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise DatabaseError(
                        f"migration {migration.version:03d}_{migration.name} failed: {exc}"
                    ) from exc
            log.info("applied migration version=%s name=%s", migration.version, migration.name)
            applied.append(migration.version)
        return applied

    async def integrity_check(self) -> str:
        """SQLite's `integrity_check` answer ('ok' when healthy)."""
        rows = await self.fetchall("PRAGMA integrity_check")
        return "; ".join(str(r[0]) for r in rows)

    async def backup_to(self, target: Path) -> None:
        """Write a consistent online copy of the database to `target`."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        tmp.unlink(missing_ok=True)
        async with self._lock:
            dest = sqlite3.connect(tmp)
            try:
                await self._conn.backup(dest)
            finally:
                dest.close()
        tmp.replace(target)


class Writer:
    """The statements allowed inside a write transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns `lastrowid`."""
        async with self._conn.execute(sql, params) as cur:
            return cur.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows changed."""
        async with self._conn.execute(sql, params) as cur:
            return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Read one row inside the transaction."""
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()
