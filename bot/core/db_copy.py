"""`briefbot db copy --to postgresql://…`: move a community from SQLite to PostgreSQL.

The SQLite database (read only, never changed) is copied whole into an empty PostgreSQL
database, migrated first, in one transaction (`storage.postgres.copy`); before it commits,
the row counts of every table are compared and `briefbot export` of the two must be the same
bytes, or nothing is kept. A target that holds anything is refused before anything is written.
The password of the URL is never shown: the target is named by user, host, port and database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from bot.core import transfer
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import InvalidInput
from storage.contract import DatabaseError, Db, is_postgres_url
from storage.postgres.copy import CopyReport, copy_sqlite_to_postgres, refuse_if_in_use, rows_in
from storage.postgres.database import PostgresDatabase, redacted
from storage.sqlite.database import Database
from storage.sqlite.database import load_migrations as sqlite_migrations

__all__ = ["CopyDone", "check_target_url", "copy_database"]


@dataclass(frozen=True)
class CopyDone:
    """A finished copy: where from, where to (without the password), what was written."""

    source: Path
    target: str
    report: CopyReport


def check_target_url(url: str) -> str:
    """The URL if it names a PostgreSQL database; InvalidInput (never repeating the URL,
    which may hold a password) otherwise. Returns the URL as it may be shown."""
    if not is_postgres_url(url):
        raise InvalidInput("--to", "must be a PostgreSQL URL: postgresql://user@host:port/database")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsed here to refuse a bad port in one line
    except ValueError:
        raise InvalidInput(
            "--to", "is not a valid PostgreSQL URL (check the host and port)"
        ) from None
    if not parts.path.strip("/"):
        raise InvalidInput("--to", "must name a database: postgresql://user@host:port/database")
    return redacted(url)


def export_text(data: dict[str, object]) -> str:
    """An export document as `briefbot export` writes a .json file."""
    return json.dumps(data, ensure_ascii=False, indent=1)


def _first_difference(a: str, b: str) -> int:
    for number, (left, right) in enumerate(
        zip(a.splitlines(), b.splitlines(), strict=False), start=1
    ):
        if left != right:
            return number
    return min(a.count("\n"), b.count("\n")) + 1


async def copy_database(
    source_path: Path,
    target_url: str,
    *,
    progress: Callable[[str], None] = lambda line: None,
    clock: Clock = system_clock,
) -> CopyDone:
    """Copy the SQLite database at `source_path` into the empty PostgreSQL database at
    `target_url` (see the module's docstring); `progress` gets a line per table."""
    shown = check_target_url(target_url)
    if not source_path.is_file():
        raise InvalidInput("DATABASE_PATH", f"{source_path} does not exist: nothing to copy")
    source = await Database.open(source_path, readonly=True, migrate=False)
    try:
        if await source.schema_version() != len(sqlite_migrations()):
            raise DatabaseError(
                f"{source_path} is not at this briefbot's schema version: run "
                "`briefbot db migrate` first, then copy"
            )
        # Before migrating: a database that holds anything is refused unchanged.
        target = await PostgresDatabase.open(target_url, migrate=False)
        try:
            refuse_if_in_use(await rows_in(target), shown)
            await target.migrate()
            # One instant for both exports, so `exported_at` does not differ.
            now = clock()

            async def same_export(copied: Db) -> None:
                before = export_text(await transfer.export_data(source, clock=lambda: now))
                after = export_text(
                    await transfer.export_data(cast(Database, copied), clock=lambda: now)
                )
                if before != after:
                    raise DatabaseError(
                        f"the copy's export differs from {source_path}'s at line "
                        f"{_first_difference(before, after)}; nothing was copied"
                    )
                progress("export: identical")

            report = await copy_sqlite_to_postgres(
                source, target, progress=progress, check=same_export
            )
        finally:
            await target.close()
    finally:
        await source.close()
    return CopyDone(source_path, shown, report)
