"""The SQLite database: one writing aiosqlite connection per process, optional read-only
reader connections beside it, WAL, migrations, backup, and a time budget for costly reads.

One connection writes: every statement on it goes through an `asyncio.Lock`, so a read
never sees another coroutine's half-done write transaction. With `readers=N` (the running
bot opens three), reads outside a transaction go to N read-only connections instead, so one
slow read (a broad search) does not hold up every other command, digest and sweep behind
it; reads with a time budget (`fetchall(..., deadline=...)`) may take at most N - 1 of
them, so a plain read always finds one free. A reader sees what was committed before its
statement began (WAL snapshots), never a half-done write.

Why readers are safe on this SQLite (3.40), whose WAL-reset bug (fixed in 3.44) can
corrupt a database when two connections are used: the bug needs one connection to write
while another *checkpoints* and resets the WAL at the same moment. A reader never does
either: it is opened with `mode=ro` and `PRAGMA query_only` (it cannot begin a write, so it
never runs the automatic checkpoint, which runs on commit), and it is closed before the
writer (the checkpoint on close is run only by a database's last connection). The writer
remains the only connection of this process that writes or checkpoints, as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import tempfile
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast, overload
from urllib.parse import quote

import aiosqlite

from bot.domain.errors import QueryTooBroad, TryAgain
from storage.contract import DatabaseError as DatabaseError
from storage.contract import Migration as Migration
from storage.contract import TransactionMisuse as TransactionMisuse
from storage.contract import bundled_migrations
from storage.contract import is_postgres_url as is_postgres_url

if TYPE_CHECKING:
    from storage.postgres.database import PostgresDatabase

log = logging.getLogger(__name__)
_T = TypeVar("_T")

Row = sqlite3.Row


class BadDatabaseFile(DatabaseError):
    """The file given is not usable as asked (a folder, not SQLite, not ours): bad input."""


class DatabaseBusy(DatabaseError, TryAgain):
    """Another process holds the write lock longer than the busy timeout (front ends show
    it as a `TryAgain` refusal: nothing changed)."""

    def __init__(self) -> None:
        super().__init__("the database is busy (another briefbot is writing); try again")


class DatabaseReadOnly(DatabaseError):
    """A write was asked of a database opened read-only."""


# SQLite primary result codes (the low byte of an extended code).
_SQLITE_BUSY, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 8, 10, 13, 14


@contextmanager
def sqlite_errors(path: Path | str) -> Iterator[None]:
    """Turn SQLite's busy, read-only, disk-full and I/O failures into typed one-liners."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code == _SQLITE_BUSY:
            raise DatabaseBusy() from exc
        if code == _SQLITE_READONLY:
            raise DatabaseReadOnly(f"{path} is read-only: this command needs to write") from exc
        if code in (_SQLITE_FULL, _SQLITE_IOERR, _SQLITE_CANTOPEN):
            raise DatabaseError(f"{path}: {exc} (nothing was changed)") from exc
        raise


def load_migrations() -> list[Migration]:
    """The SQLite backend's bundled migrations, in order."""
    return bundled_migrations("storage.sqlite")


class Database:
    """An open SQLite database with the project's pragmas and a write lock."""

    dialect: ClassVar[Literal["sqlite"]] = "sqlite"

    # Every open database of the process: aiosqlite's worker thread keeps the interpreter
    # alive at exit until its connection is closed, so owners that may be dropped without
    # closing (a bot detached in tests) can be found and closed.
    opened: ClassVar[weakref.WeakSet[Database]] = weakref.WeakSet()

    def __init__(self, conn: aiosqlite.Connection, path: Path, *, readonly: bool = False) -> None:
        self._conn = conn
        self.path = path
        self.readonly = readonly
        self._lock = asyncio.Lock()
        self._readers: list[aiosqlite.Connection] = []
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._budgeted = asyncio.Semaphore(1)  # reads with a deadline, on the readers
        # The task inside `transaction()`: its own reads must go through the Writer.
        self._writer_task: asyncio.Task[Any] | None = None
        self.closed = False
        Database.opened.add(self)

    def _not_in_own_transaction(self) -> None:
        """Refuse a call that would wait forever for the lock its own task holds."""
        task = asyncio.current_task()
        if task is not None and task is self._writer_task:
            raise TransactionMisuse(
                "the database was used inside its own transaction: "
                "use the transaction's writer (w.fetchall, w.execute) instead"
            )

    @overload
    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        migrate: bool = True,
        readonly: bool = False,
        busy_timeout_ms: int = 5000,
        readers: int = 0,
    ) -> Database: ...

    @overload
    @classmethod
    async def open(
        cls,
        path: str,
        *,
        migrate: bool = True,
        readonly: bool = False,
        busy_timeout_ms: int = 5000,
        readers: int = 0,
    ) -> Database | PostgresDatabase: ...

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        migrate: bool = True,
        readonly: bool = False,
        busy_timeout_ms: int = 5000,
        readers: int = 0,
    ) -> Database | PostgresDatabase:
        """Open (creating if needed) and, by default, migrate the database at `path`.

        A `postgresql://` URL opens that PostgreSQL database instead (a connection pool;
        `readonly`, `busy_timeout_ms` and `readers` are SQLite's and do not apply).
        With `readonly`, or when the file cannot be written, the file is opened with
        `mode=ro`: reads work, nothing is ever written, and a needed migration is refused.
        `readers` read-only connections serve reads beside the writer (see the module's
        docstring); none for an in-memory or read-only database.
        """
        if is_postgres_url(path):
            # Imported here: the PostgreSQL backend imports this module.
            from storage.postgres.database import PostgresDatabase

            return await PostgresDatabase.open(str(path), migrate=migrate)
        path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            _prepare_path(path)
            file_ok, folder_ok = _writable(path)
            readonly = readonly or not (file_ok and folder_ok)
            target = readonly_uri(path, immutable=not folder_ok) if readonly else str(path)
        else:
            target = str(path)
        try:
            conn = await aiosqlite.connect(target, isolation_level=None, uri=readonly)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path} cannot be opened: {exc}") from None
        conn.row_factory = sqlite3.Row
        db = cls(conn, path, readonly=readonly)
        try:
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
                "PRAGMA foreign_keys=ON",
            ):
                # Close each cursor at once: an open PRAGMA statement blocks COMMIT later.
                with sqlite_errors(path):
                    async with conn.execute(pragma) as cur:
                        await cur.fetchall()
            if migrate and not readonly:
                await db.migrate()
            elif await db.check_version() < len(load_migrations()) and migrate:
                raise DatabaseReadOnly(
                    f"{path} is read-only and needs migrating: make it writable once"
                )
        except sqlite3.DatabaseError as exc:
            # Not a database (or a damaged one): close it, or its thread keeps the process alive.
            await conn.close()
            raise BadDatabaseFile(f"{path} cannot be opened as a SQLite database: {exc}") from None
        except BaseException:
            await conn.close()
            raise
        if readers and not memory and not readonly:
            try:
                await db._open_readers(readers, busy_timeout_ms)
            except BaseException:
                await db.close()
                raise
        return db

    async def _open_readers(self, count: int, busy_timeout_ms: int) -> None:
        for _ in range(count):
            try:
                reader = await aiosqlite.connect(readonly_uri(self.path), uri=True)
            except sqlite3.Error as exc:
                raise DatabaseError(f"{self.path} cannot be opened: {exc}") from None
            self._readers.append(reader)
            reader.row_factory = sqlite3.Row
            with sqlite_errors(self.path):
                await _run_all(reader, f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
                await _run_all(reader, "PRAGMA query_only=1")
            self._idle.put_nowait(reader)
        self._budgeted = asyncio.Semaphore(max(1, count - 1))

    async def close(self) -> None:
        """Close the connections (the readers first, ending their running reads; then the
        writer, checkpointing the WAL); closing twice is harmless."""
        if not self.closed:
            for reader in self._readers:
                await reader.interrupt()
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            Database.opened.discard(self)
            for reader in self._readers:
                await reader.close()
            await self._conn.close()

    # --- reading -------------------------------------------------------------------------

    async def fetchall(
        self, sql: str, params: Sequence[Any] = (), *, deadline: float | None = None
    ) -> list[Row]:
        """Run a read query and return every row.

        With a `deadline` (the event loop's `time()`), a read still running then is
        interrupted and `QueryTooBroad` raised (as it is when the deadline has passed)."""
        return list(await self._read(all_rows, sql, params, deadline))

    async def fetchone(
        self, sql: str, params: Sequence[Any] = (), *, deadline: float | None = None
    ) -> Row | None:
        """Run a read query and return its first row, if any (`deadline` as in `fetchall`)."""
        row: Row | None = await self._read(first_row, sql, params, deadline)
        return row

    async def run_reads(self, reads: Callable[[sqlite3.Connection], _T]) -> _T:
        """`reads(connection)` on a connection's thread: several read statements (and the
        pure choosing between them) in one trip instead of one trip each. Every trip waits
        for two thread wake-ups, which on a busy machine cost more than a brief's SQL.
        `reads` must only read and must not touch the event loop."""

        def run(conn: sqlite3.Connection, _sql: str, _params: Sequence[Any]) -> _T:
            return reads(conn)

        result: _T = await self._read(run, "", (), None)
        return result

    async def _read(
        self,
        how: Callable[[sqlite3.Connection, str, Sequence[Any]], Any],
        sql: str,
        params: Sequence[Any],
        deadline: float | None,
    ) -> Any:
        self._not_in_own_transaction()
        if not self._readers:
            async with self._lock:
                return await _one_hop(self._conn, how, sql, params, deadline, self.path)
        if deadline is None:
            return await self._on_reader(how, sql, params, None)
        async with self._budgeted:
            return await self._on_reader(how, sql, params, deadline)

    async def _on_reader(
        self,
        how: Callable[[sqlite3.Connection, str, Sequence[Any]], Any],
        sql: str,
        params: Sequence[Any],
        deadline: float | None,
    ) -> Any:
        reader = await self._idle.get()
        try:
            return await _one_hop(reader, how, sql, params, deadline, self.path)
        finally:
            self._idle.put_nowait(reader)

    def connections_in_use(self) -> int:
        """Connections running a statement or holding a transaction now (the writer while
        its lock is held, and the busy readers): the metrics' pool use."""
        busy_readers = len(self._readers) - self._idle.qsize()
        return busy_readers + (1 if self._lock.locked() else 0)

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def set_busy_timeout(self, ms: int) -> None:
        """How long every connection waits for another process's lock before `DatabaseBusy`."""
        for conn in (self._conn, *self._readers):
            await _run_all(conn, f"PRAGMA busy_timeout = {int(ms)}")

    # --- writing -------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writer]:
        """A write transaction (`BEGIN IMMEDIATE`): committed on exit, rolled back on error.

        `BEGIN` is inside the `try`: a cancellation while it waits for the lock still
        queues the `ROLLBACK` behind it (aiosqlite runs statements in order), so the one
        connection is never left inside a transaction.
        """
        self._not_in_own_transaction()
        if self.readonly:
            raise DatabaseReadOnly(f"{self.path} is read-only: this command needs to write")
        async with self._lock:
            self._writer_task = asyncio.current_task()
            try:
                with sqlite_errors(self.path):
                    await self._conn.execute("BEGIN IMMEDIATE")
                    yield Writer(self._conn)
                    await self._conn.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            finally:
                self._writer_task = None

    async def _rollback(self) -> None:
        """Roll back if a transaction is open; never hide the error that caused it.

        SQLite may already have rolled back by itself (a full disk, an interrupt), when
        `ROLLBACK` answers "no transaction is active": that answer is not the news.
        """
        try:
            await asyncio.shield(self._conn.execute("ROLLBACK"))
        except sqlite3.Error as exc:
            log.debug("rollback after an error: %s", exc)

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
                    with sqlite_errors(self.path):
                        await self._conn.executescript(script)
                except DatabaseError:
                    await self._rollback()
                    raise
                except sqlite3.Error as exc:
                    await self._rollback()
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
        """Write a consistent online copy of the database to `target` (atomically: a
        failure leaves any earlier file at `target` as it was and no partial file)."""
        tmp = target.with_name(target.name + ".partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            async with self._lock:
                with sqlite_errors(target):
                    dest = sqlite3.connect(tmp)
                try:
                    with sqlite_errors(target):
                        await self._conn.backup(dest)
                finally:
                    dest.close()
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def all_rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    """Every row of a statement, its cursor closed (in a `run_reads` function)."""
    cur = conn.execute(sql, params)
    try:
        return cur.fetchall()
    finally:
        cur.close()


def _last_rowid(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cur = conn.execute(sql, params)
    try:
        return cur.lastrowid or 0
    finally:
        cur.close()


def _rowcount(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cur = conn.execute(sql, params)
    try:
        return cur.rowcount
    finally:
        cur.close()


def first_row(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Row | None:
    """The first row of a statement, its cursor closed (in a `run_reads` function)."""
    cur = conn.execute(sql, params)
    try:
        row: Row | None = cur.fetchone()
        return row
    finally:
        cur.close()  # an open statement would block a later COMMIT on this connection


async def _one_hop(
    conn: aiosqlite.Connection,
    how: Callable[[sqlite3.Connection, str, Sequence[Any]], Any],
    sql: str,
    params: Sequence[Any],
    deadline: float | None,
    path: Path | None,
) -> Any:
    """Run a statement and fetch its rows in one trip to the connection's thread (aiosqlite's
    cursor API takes three: execute, fetch, close), interrupting it at `deadline`. The
    caller holds the connection, so the interrupt can only end this statement."""
    # aiosqlite's queue of work for its thread (untyped): the raw connection is only
    # touched in that thread.
    run = cast(Callable[..., Awaitable[Any]], conn._execute)
    raw = conn._conn
    timer = None
    if deadline is not None:
        loop = asyncio.get_running_loop()
        if loop.time() >= deadline:
            raise QueryTooBroad()
        timer = loop.call_at(deadline, raw.interrupt)
    try:
        if path is None:  # a Writer's: its transaction turns errors into typed ones
            return await run(how, raw, sql, params)
        with sqlite_errors(path):
            return await run(how, raw, sql, params)
    except sqlite3.OperationalError as exc:
        if timer is not None and str(exc) == "interrupted":
            raise QueryTooBroad() from None
        raise
    finally:
        if timer is not None:
            timer.cancel()


async def _run_all(conn: aiosqlite.Connection, sql: str) -> None:
    async with conn.execute(sql) as cur:
        await cur.fetchall()


def _writable(path: Path) -> tuple[bool, bool]:
    """Whether this process can write the file, and its folder (for the WAL files).

    Tried, not `os.access`: access() answers for the real user, and root's answer ignores
    a dropped capability or a read-only mount.
    """
    if not path.exists():
        return True, True
    try:
        os.close(os.open(path, os.O_RDWR))
        file_ok = True
    except OSError:
        file_ok = False
    try:
        tempfile.NamedTemporaryFile(dir=path.parent, prefix=".briefbot-probe-").close()
        folder_ok = True
    except OSError:
        folder_ok = False
    return file_ok, folder_ok


def readonly_uri(path: Path, *, immutable: bool = False) -> str:
    """A `mode=ro` URI for `path`; `immutable` when not even the WAL index can be made
    (a read-only folder): SQLite then reads the file as it is, without locks."""
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    return f"file:{quote(str(path.absolute()))}?{flags}"


def _prepare_path(path: Path) -> None:
    """Create the database's folder; refuse a folder or an impossible path in one line."""
    if path.is_dir():
        raise BadDatabaseFile(f"{path} is a folder, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BadDatabaseFile(
            f"{path}: a part of its folder {path.parent} is a file, not a folder"
        ) from None
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot create its folder ({exc.strerror})") from None


_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


class Writer:
    """The statements allowed inside a write transaction."""

    dialect: ClassVar[Literal["sqlite"]] = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement. With a `RETURNING` clause, returns its first value (0 when no
        row was written, as on PostgreSQL); otherwise `lastrowid`."""
        if _RETURNING.search(sql):
            row = await _one_hop(self._conn, first_row, sql, params, None, None)
            return int(row[0] or 0) if row is not None else 0
        rowid: int = await _one_hop(self._conn, _last_rowid, sql, params, None, None)
        return rowid

    async def execute_rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows changed."""
        count: int = await _one_hop(self._conn, _rowcount, sql, params, None, None)
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read inside the transaction."""
        rows: list[Row] = await _one_hop(self._conn, all_rows, sql, params, None, None)
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Read one row inside the transaction."""
        row: Row | None = await _one_hop(self._conn, first_row, sql, params, None, None)
        return row
