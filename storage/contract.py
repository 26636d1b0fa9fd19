"""The storage contract: what the query modules may ask of a database, whichever backend.

`Db` is the reading surface and the way into a write transaction; `DbWriter` is what a
write transaction offers. SQLite's `storage.sqlite.database.Database` and PostgreSQL's
`storage.postgres.database.PostgresDatabase` both satisfy them, so a function typed with
these runs on either. Query text is written once with `?` placeholders; where the SQL of the
two backends differs, a function branches on `dialect` ("sqlite" or "postgresql").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, Protocol, overload

Dialect = Literal["sqlite", "postgresql"]
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class DatabaseError(Exception):
    """The database cannot be used as asked; the message says why and what to do."""


class TransactionMisuse(RuntimeError):
    """A programming error: the database was used in a way that would deadlock."""


@dataclass(frozen=True)
class Migration:
    """One numbered SQL migration file."""

    version: int
    name: str
    sql: str


def bundled_migrations(package: str) -> list[Migration]:
    """A backend's numbered migrations (`<package>/migrations/NNN_name.sql`), in order."""
    found = []
    for entry in resources.files(package).joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise DatabaseError(f"{package} migrations are not numbered 001, 002, … without gaps")
    return found


def is_postgres_url(target: object) -> bool:
    """Whether `target` names a PostgreSQL database (a `postgresql://` or `postgres://` URL)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class Row(Protocol):
    """A result row: by position or by column name (sqlite3.Row, asyncpg.Record)."""

    # In asyncpg-stubs' order (str, then int): mypy matches overloads in order.
    @overload
    def __getitem__(self, key: str, /) -> Any: ...
    @overload
    def __getitem__(self, key: int, /) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def keys(self) -> Iterable[str]: ...


class DbWriter(Protocol):
    """The statements allowed inside a write transaction."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; with `RETURNING id`, returns that id (otherwise undefined)."""
        ...

    async def execute_rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows."""
        ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Row]:
        """Read inside the transaction."""
        ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Read one row inside the transaction."""
        ...


class Db(Protocol):
    """An open database of either backend."""

    @property
    def dialect(self) -> Dialect: ...

    readonly: bool
    closed: bool

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Row]:
        """Run a read query and return every row."""
        ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query and return its first row, if any."""
        ...

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[DbWriter]:
        """A write transaction: committed on exit, rolled back on error."""
        ...

    async def close(self) -> None:
        """Close the database; closing twice is harmless."""
        ...


class PooledDb(Db, Protocol):
    """A database a process serves from (either backend's): `Db`, plus how many of its
    connections are busy now (the metrics' pool use)."""

    def connections_in_use(self) -> int:
        """Connections running a statement or holding a transaction."""
        ...


def concat_sql(dialect: Dialect, expr: str) -> str:
    """An aggregate joining `expr` of a group with spaces (NULL for an empty group)."""
    if dialect == "postgresql":
        return f"string_agg({expr}, ' ')"
    return f"group_concat({expr}, ' ')"


def is_sql(dialect: Dialect) -> str:
    """The equality that holds for two NULLs (SQLite's `IS`; older SQLite has no
    `IS NOT DISTINCT FROM`, and PostgreSQL's `IS` takes no parameter)."""
    return "IS NOT DISTINCT FROM" if dialect == "postgresql" else "IS"


__all__ = ["Db", "DbWriter", "Dialect", "PooledDb", "Row", "concat_sql", "is_sql"]
