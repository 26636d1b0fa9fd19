"""The PostgreSQL database: an asyncpg pool with the same reading and writing surface as the
SQLite `Database` (`fetchall`, `fetchone`, `scalar`, `transaction()` → a `Writer`), numbered
migrations of its own run once under an advisory lock, and the connection settings search needs.

Query text is written once with SQLite's `?` placeholders; `numbered()` turns them into
PostgreSQL's `$1, $2, …` (skipping quoted text and comments), cached per statement.

Write transactions are serialised by a transaction-scoped advisory lock. SQLite's
`BEGIN IMMEDIATE` gives every writer the whole database to itself, and the storage code's
read-then-write steps (claims and fencing of digest deliveries, revision numbers, imports made
visible) rely on that. Taking one lock per write transaction keeps those steps correct under
READ COMMITTED without rewriting each one; reads never take it and never wait for writers.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import lru_cache
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.contract import DatabaseError, Migration, TransactionMisuse, bundled_migrations

log = logging.getLogger(__name__)

Row = asyncpg.Record
# Advisory lock keys (any 64-bit numbers, the same in every process of every release).
MIGRATION_LOCK = 0x6272_6965_666D_6967  # "briefmig"
WRITER_LOCK = 0x6272_6965_6677_7274  # "briefwrt"
# A generic plan of a search statement ignores the query's selectivity: it turned 0.7 ms
# searches into 400–600 ms. Custom plans cost a planning step per query and no more.
_SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan", "application_name": "briefbot"}


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset of a returned connection: nothing beyond asyncpg's own (which ends
    an open transaction). Its default sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN
    *; RESET ALL` at every release: a second round trip for every read, which doubled a
    `/brief`'s waits on a busy machine. No pooled connection keeps session state: settings
    are given at connect, nothing listens or keeps a cursor outside a transaction, and the
    one session lock taken on a pooled connection (the migrations') is released before the
    connection is."""


def load_migrations() -> list[Migration]:
    """The PostgreSQL backend's bundled migrations, in order, numbered without gaps."""
    return bundled_migrations("storage.postgres")


@lru_cache(maxsize=4096)
def numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2, …`; a `?` inside quotes or a comment is left alone."""
    out: list[str] = []
    count = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = sql.find(ch, i + 1)
            while end != -1 and sql.startswith(ch, end + 1):  # a doubled quote inside
                end = sql.find(ch, end + 2)
            end = n if end == -1 else end + 1
            out.append(sql[i:end])
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            count += 1
            out.append(f"${count}")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def redacted(url: str) -> str:
    """The URL as it may be shown or logged: user, host, port and database, never a password."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


class PostgresDatabase:
    """An open PostgreSQL database: a pool of connections, migrated at open."""

    dialect: ClassVar[Literal["postgresql"]] = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self.url = url
        self.where = redacted(url)
        self.readonly = False
        self.closed = False
        # The task inside `transaction()`: its own reads must go through the Writer.
        self._writer_tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, min_size: int = 1, max_size: int = 10
    ) -> PostgresDatabase:
        """Connect a pool to `url` and, by default, apply pending migrations (once across
        every process that opens the same database at the same time)."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                server_settings=_SERVER_SETTINGS,
                reset=_keep_session,
            )
        except (OSError, asyncpg.PostgresError, ValueError) as exc:
            raise DatabaseError(
                f"{redacted(url)}: cannot connect ({type(exc).__name__}: {exc}); check "
                "DATABASE_URL and that the server is running"
            ) from None
        db = cls(pool, url)
        try:
            if migrate:
                await db.migrate()
            else:
                await db.check_version()
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        """Close every connection of the pool; closing twice is harmless."""
        if not self.closed:
            self.closed = True
            await self._pool.close()

    def connections_in_use(self) -> int:
        """Connections of the pool checked out now (the metrics' pool use)."""
        return self._pool.get_size() - self._pool.get_idle_size()

    def _not_in_own_transaction(self) -> None:
        task = asyncio.current_task()
        if task is not None and task in self._writer_tasks:
            raise TransactionMisuse(
                "the database was used inside its own transaction: "
                "use the transaction's writer (w.fetchall, w.execute) instead"
            )

    # --- reading -------------------------------------------------------------------------

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query and return every row."""
        self._not_in_own_transaction()
        return list(await self._pool.fetch(numbered(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query and return its first row, if any."""
        self._not_in_own_transaction()
        return await self._pool.fetchrow(numbered(sql), *params)

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        self._not_in_own_transaction()
        return await self._pool.fetchval(numbered(sql), *params)

    # --- writing -------------------------------------------------------------------------

    def transaction(self) -> AbstractAsyncContextManager[PostgresWriter]:
        """A write transaction, serialised with every other writer (see the module's
        docstring): committed on exit, rolled back on error."""
        return self._transaction(serialised=True)

    def unserialised_transaction(self) -> AbstractAsyncContextManager[PostgresWriter]:
        """A write transaction that does not wait for the other writers: only for rows that
        no other writer reads or writes until a serialised transaction makes them visible
        (an import's hidden search rows, written while the import's next batch is)."""
        return self._transaction(serialised=False)

    @asynccontextmanager
    async def _transaction(self, *, serialised: bool) -> AsyncIterator[PostgresWriter]:
        self._not_in_own_transaction()
        task = asyncio.current_task()
        async with self._pool.acquire() as conn, conn.transaction():
            if serialised:
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITER_LOCK)
            if task is not None:
                self._writer_tasks.add(task)
            try:
                yield PostgresWriter(conn)
            finally:
                if task is not None:
                    self._writer_tasks.discard(task)

    # --- schema --------------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The newest migration applied (0 for an empty database)."""
        exists = await self._pool.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(
            await self._pool.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        )

    async def check_version(self) -> int:
        """Refuse a database written by a newer briefbot."""
        current = await self.schema_version()
        latest = len(load_migrations())
        if current > latest:
            raise DatabaseError(
                f"{self.where} has schema version {current}, newer than this briefbot "
                f"(knows up to {latest}): upgrade briefbot"
            )
        return current

    async def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction, holding the migration lock:
        a second process opening the database meanwhile waits, then finds nothing to do."""
        applied: list[int] = []
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                current = await self.check_version()
                for migration in load_migrations():
                    if migration.version <= current:
                        continue
                    try:
                        async with conn.transaction():
                            await conn.execute(migration.sql)
                            await conn.execute(
                                "INSERT INTO schema_migrations (version, name, applied_at) "
                                "VALUES ($1, $2, to_char(now() AT TIME ZONE 'UTC', "
                                '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'))',
                                migration.version,
                                migration.name,
                            )
                    except asyncpg.PostgresError as exc:
                        raise DatabaseError(
                            f"migration {migration.version:03d}_{migration.name} failed: {exc}"
                        ) from exc
                    log.info(
                        "applied migration backend=postgresql version=%s name=%s",
                        migration.version,
                        migration.name,
                    )
                    applied.append(migration.version)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return applied


class PostgresWriter:
    """The statements allowed inside a write transaction (the SQLite Writer's surface)."""

    dialect: ClassVar[Literal["postgresql"]] = "postgresql"

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement. With a `RETURNING` clause, returns its first value (how new
        ids are read on both backends); otherwise 0."""
        if re.search(r"\bRETURNING\b", sql, re.IGNORECASE):
            value = await self._conn.fetchval(numbered(sql), *params)
            return int(value or 0)
        await self._conn.execute(numbered(sql), *params)
        return 0

    async def execute_rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows changed."""
        status = await self._conn.execute(numbered(sql), *params)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        await self._conn.executemany(numbered(sql), list(rows))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read inside the transaction."""
        return list(await self._conn.fetch(numbered(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Read one row inside the transaction."""
        return await self._conn.fetchrow(numbered(sql), *params)

    async def copy_records(
        self, table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]
    ) -> None:
        """Write many rows with COPY (binary): far faster than INSERTs for bulk writes."""
        await self._conn.copy_records_to_table(table, records=list(records), columns=list(columns))

    async def copy_text(self, table: str, columns: Sequence[str], data: bytes) -> None:
        """Write rows given in COPY's text format (for types binary COPY cannot encode)."""
        await self._conn.copy_to_table(
            table, source=io.BytesIO(data), columns=list(columns), format="text"
        )
