"""Copying a SQLite database into an empty PostgreSQL database, whole or not at all.

The tables copied are read from the two schemas, not listed here: every table SQLite's
migrations made (less its FTS5 search index and each backend's own `schema_migrations`) must
exist in PostgreSQL with the same columns, so a table added by a later migration is copied
without anyone remembering to add it. PostgreSQL's search table is rebuilt from the texts
SQLite's search index holds, as an import fills it.

Everything happens in one transaction holding the writer lock: the target is checked empty
inside it, rows go in with COPY, parents before children (from PostgreSQL's foreign keys),
with the tables' triggers off so every value arrives as it was (the commit clock's triggers
would otherwise restamp rows older than the clock); then identities are moved past the
copied ids, the row counts compared, and the caller's check runs on what the transaction
sees. Any failure rolls all of it back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast

import asyncpg

from bot.domain.errors import Conflict
from storage.contract import DatabaseError, Db, Row
from storage.postgres.bulk import copy_search_data, may_skip_row_checks, search_copy_data
from storage.postgres.database import PostgresDatabase, PostgresWriter
from storage.postgres.statistics import analyze
from storage.sqlite.database import Database

# SQLite's search index (FTS5 tables and their shadow tables) and SQLite's own tables:
# PostgreSQL's development_search is rebuilt instead.
SQLITE_ONLY_PREFIXES = ("developments_fts", "developments_cjk", "sqlite_")
POSTGRES_ONLY = frozenset({"development_search"})
# Each backend's own migration history, not data.
NOT_COPIED = frozenset({"schema_migrations"})
# Filled by a migration of an empty database (the commit clock's one row): replaced by the
# copy, and not a sign that the target is in use.
SEEDED = frozenset({"commit_clock"})


class TargetNotEmpty(Conflict):
    """The PostgreSQL database already holds rows: a copy would mix two communities."""


@dataclass
class CopyReport:
    """What a copy wrote: rows per table (in the order copied) and the search rows built."""

    tables: dict[str, int] = field(default_factory=dict)
    search_rows: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows copied in all tables."""
        return sum(self.tables.values())


class TransactionReader:
    """The reading surface of `Db` over an open write transaction, so a check before commit
    reads what the transaction wrote (another connection would see nothing yet)."""

    dialect: ClassVar[Literal["postgresql"]] = "postgresql"
    readonly = True
    closed = False

    def __init__(self, w: PostgresWriter) -> None:
        self._w = w

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query inside the transaction; every row."""
        return cast(list[Row], await self._w.fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query inside the transaction; its first row."""
        return cast(Row | None, await self._w.fetchone(sql, params))

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self._w.fetchone(sql, params)
        return None if row is None else row[0]


async def sqlite_tables(source: Database) -> list[str]:
    """The data tables of the SQLite schema (what a copy must carry)."""
    rows = await source.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    return [
        r[0] for r in rows if not r[0].startswith(SQLITE_ONLY_PREFIXES) and r[0] not in NOT_COPIED
    ]


async def _postgres_columns(
    db: PostgresDatabase | PostgresWriter,
) -> dict[str, list[tuple[str, str]]]:
    rows = await db.fetchall(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name, c.ordinal_position"
    )
    columns: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        columns.setdefault(r[0], []).append((r[1], r[2]))
    return columns


async def rows_in(db: PostgresDatabase | PostgresWriter) -> list[str]:
    """The tables of the PostgreSQL database that hold rows (less its migration history and
    the rows its migrations put there): empty means a copy may go in."""
    found = []
    for table in await _postgres_columns(db):
        if table in NOT_COPIED:
            continue
        if table in SEEDED:
            # Only its initial row, as migration 002 of an empty database leaves it.
            sql = f"SELECT EXISTS (SELECT 1 FROM {table} WHERE high > '0000-01-01T00:00:00Z')"
        else:
            sql = f'SELECT EXISTS (SELECT 1 FROM "{table}")'
        row = await db.fetchone(sql)
        if row is not None and row[0]:
            found.append(table)
    return found


def refuse_if_in_use(tables: Sequence[str], where: str) -> None:
    """Raise TargetNotEmpty naming a few of `tables` (none: nothing to refuse)."""
    if tables:
        listed = ", ".join(tables[:3]) + (" …" if len(tables) > 3 else "")
        raise TargetNotEmpty(
            f"{where} is not empty (rows in {listed}); copy into a new, empty database. "
            "Nothing was copied."
        )


async def _parents_first(w: PostgresWriter, tables: list[str]) -> list[str]:
    """`tables` ordered so that a table comes after every table its foreign keys name."""
    edges = await w.fetchall(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    )
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in ((e[0].strip('"'), e[1].strip('"')) for e in edges):
        if child in parents and parent in parents and child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, p in parents.items() if not p - set(ordered))
        if not ready:  # a cycle: no such schema today
            raise DatabaseError(f"foreign keys form a cycle among {sorted(parents)}")
        for t in ready:
            ordered.append(t)
            del parents[t]
    return ordered


def _rows(n: int) -> str:
    return f"{n:,} {'row' if n == 1 else 'rows'}"


def _converter(data_type: str) -> Callable[[Any], Any]:
    # SQLite's column affinity gives each stored value its column's type; these only fix a
    # value SQLite kept in another form (a number in a text column, for one).
    if data_type in ("bigint", "integer", "smallint"):
        return lambda v: v if v is None or type(v) is int else int(v)
    if data_type in ("double precision", "real", "numeric"):
        return lambda v: v if v is None or type(v) is float else float(v)
    if data_type == "bytea":
        return lambda v: v if v is None or type(v) is bytes else bytes(v)
    return lambda v: v if v is None or type(v) is str else str(v)


def _convert(rows: Sequence[Row], types: Sequence[str]) -> list[tuple[Any, ...]]:
    converters = [_converter(t) for t in types]
    expected = [
        int
        if t in ("bigint", "integer", "smallint")
        else float
        if t in ("double precision", "real", "numeric")
        else bytes
        if t == "bytea"
        else str
        for t in types
    ]
    out: list[tuple[Any, ...]] = []
    for row in rows:
        values = tuple(row)
        if all(v is None or type(v) is e for v, e in zip(values, expected, strict=True)):
            out.append(values)
        else:
            out.append(tuple(c(v) for c, v in zip(converters, values, strict=True)))
    return out


async def copy_sqlite_to_postgres(
    source: Database,
    target: PostgresDatabase,
    *,
    progress: Callable[[str], None] = lambda line: None,
    check: Callable[[Db], Awaitable[None]] | None = None,
) -> CopyReport:
    """Copy every table of `source` into the empty, migrated `target` in one transaction
    (see the module's docstring). `progress` gets a line per table; `check`, given the
    target as the transaction sees it, runs before the commit: raising there undoes the
    copy. Raises TargetNotEmpty (nothing written) when `target` holds rows, DatabaseError
    when PostgreSQL refuses a row (a foreign key SQLite did not enforce, for one)."""
    try:
        return await _copy(source, target, progress=progress, check=check)
    except asyncpg.PostgresError as exc:
        detail = getattr(exc, "detail", None)
        reason = " ".join(f"{exc.message}. {detail or ''}".split())  # one line
        raise DatabaseError(
            f"PostgreSQL refused the copy ({type(exc).__name__}: {reason}); nothing was copied"
        ) from None


async def _copy(
    source: Database,
    target: PostgresDatabase,
    *,
    progress: Callable[[str], None] = lambda line: None,
    check: Callable[[Db], Awaitable[None]] | None = None,
) -> CopyReport:
    started = time.perf_counter()
    report = CopyReport()
    lite_tables = await sqlite_tables(source)
    trusted = await may_skip_row_checks(target) and not await source.fetchall(
        "PRAGMA foreign_key_check"
    )
    async with target.transaction() as w:
        refuse_if_in_use(await rows_in(w), target.where)
        pg_columns = await _postgres_columns(w)
        pg_tables = set(pg_columns) - POSTGRES_ONLY - NOT_COPIED
        if set(lite_tables) != pg_tables:
            raise DatabaseError(
                "the two schemas differ (only in SQLite: "
                f"{sorted(set(lite_tables) - pg_tables)}; only in PostgreSQL: "
                f"{sorted(pg_tables - set(lite_tables))}): upgrade briefbot and migrate both"
            )
        if trusted:
            # SQLite proved every foreign key of the source at once: PostgreSQL's trigger per
            # row (most of a copy's time) would only repeat it.
            await w.execute("SET LOCAL session_replication_role = replica")
        for table in pg_columns:
            # Every value as it was: no trigger rewrites a copied row (constraints stay on).
            await w.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        for table in await _parents_first(w, lite_tables):
            names = [c for c, _ in pg_columns[table]]
            types = [t for _, t in pg_columns[table]]
            lite_names = {r[1] for r in await source.fetchall(f'PRAGMA table_info("{table}")')}
            if lite_names != set(names):
                raise DatabaseError(
                    f"table {table} has other columns in SQLite than in PostgreSQL: "
                    "upgrade briefbot and migrate both"
                )
            quoted = ", ".join(f'"{n}"' for n in names)
            rows = await source.fetchall(f'SELECT {quoted} FROM "{table}"')
            await w.execute(f'DELETE FROM "{table}"')  # a migration's own row, if any
            await w.copy_records(table, names, _convert(rows, types))
            report.tables[table] = len(rows)
            progress(f"{table}: {_rows(len(rows))}")
        texts = await source.fetchall(
            "SELECT rowid, title, summary, tags, sources FROM developments_fts ORDER BY rowid"
        )
        await copy_search_data(w, search_copy_data([tuple(r) for r in texts]))
        report.search_rows = len(texts)
        progress(
            f"search index: {len(texts):,} {'development' if len(texts) == 1 else 'developments'} indexed"
        )
        for table in pg_columns:
            await w.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        await _move_identities(w)
        await _compare_counts(source, w, report)
        if check is not None:
            await check(cast(Db, TransactionReader(w)))
    # Every table was empty to the planner: the bot's first plans would be for that.
    await analyze(target)
    report.seconds = time.perf_counter() - started
    return report


async def _move_identities(w: PostgresWriter) -> None:
    """Each identity column's next value past the highest copied id."""
    for table, column in await w.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ):
        await w.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), max(\"{column}\")) "
            f'FROM "{table}" HAVING max("{column}") IS NOT NULL'
        )


async def _compare_counts(source: Database, w: PostgresWriter, report: CopyReport) -> None:
    """Every table holds as many rows in the target as in the source, read back."""
    expected = dict(report.tables)
    expected["development_search"] = report.search_rows
    for table, count in expected.items():
        lite = (
            count
            if table == "development_search"
            else int(await source.scalar(f'SELECT COUNT(*) FROM "{table}"'))
        )
        row = await w.fetchone(f'SELECT COUNT(*) FROM "{table}"')
        copied = int(row[0]) if row else -1
        if not lite == count == copied:
            raise DatabaseError(
                f"table {table}: {lite} rows in SQLite but {copied} copied; nothing was copied"
            )
