"""Operating the database: migrate, back up, restore, check health, import, export.

The command line's `db`, `check`, `import` and `export` go through here, so no front end
opens the database itself. `target` is the SQLite file or a `postgresql://` URL (see
`Settings.database`); backing up and restoring are SQLite's (PostgreSQL has pg_dump).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from bot.domain.clock import Clock, system_clock
from storage.catalogue import catalogue_counts
from storage.contract import Dialect
from storage.sqlite.database import BadDatabaseFile, Database, DatabaseError
from storage.sqlite.restore import Restored, restore_database

__all__ = [
    "BadDatabaseFile",
    "DatabaseError",
    "DatabaseHealth",
    "backup",
    "check_health",
    "export_file",
    "import_file",
    "migrate",
    "restore",
]


@dataclass(frozen=True)
class DatabaseHealth:
    """What `briefbot check` reports about the database."""

    integrity: str
    schema_version: int
    counts: dict[str, int]
    dialect: Dialect = "sqlite"

    @property
    def ok(self) -> bool:
        """SQLite's integrity check passed (PostgreSQL has none to run: it answered)."""
        return self.dialect == "postgresql" or self.integrity == "ok"


async def migrate(target: Path | str) -> int:
    """Apply pending migrations; the schema version after."""
    db = await Database.open(target)
    try:
        return await db.schema_version()
    finally:
        await db.close()


async def backup(path: Path, target: Path) -> None:
    """Write a consistent online copy of the database at `path` to `target`."""
    db = await Database.open(path)
    try:
        await db.backup_to(target)
    finally:
        await db.close()


async def restore(backup_path: Path, target: Path, clock: Clock = system_clock) -> Restored:
    """Check `backup_path` is ours, migrate a copy of it, then swap it in for `target`,
    keeping the previous database as `<target>.before-restore-<time>` (stop the bot first)."""
    return await restore_database(backup_path, target, clock())


async def check_health(target: Path | str) -> DatabaseHealth:
    """Integrity (SQLite's check), schema version and catalogue totals of the database."""
    db = await Database.open(target)
    try:
        if isinstance(db, Database):
            health = await db.integrity_check()
        else:
            health = "not applicable on PostgreSQL"
        counts = await catalogue_counts(db)
        return DatabaseHealth(health, await db.schema_version(), counts, db.dialect)
    finally:
        await db.close()


async def export_file(target: Path | str, file: Path) -> tuple[int, int]:
    """Export everything to `file` (JSON or CSV); (developments, assessments) written."""
    from bot.core import transfer  # only here: pydantic is not loaded on a brief's cold start

    db = await Database.open(target)
    try:
        # The bulk queries are typed against the SQLite class; exporting reads through the
        # shared contract on either backend.
        data = await transfer.export_data(cast(Database, db))
    finally:
        await db.close()
    transfer.write_file(file, data)
    return len(data["developments"]), len(data["assessments"])


async def import_file(target: Path | str, file: Path) -> tuple[int, int]:
    """Import `file` (all of it or nothing); (developments, assessments) added."""
    yield_cpu_to_the_bot()  # a batch job beside the running bot
    from bot.core import transfer  # only here: pydantic is not loaded on a brief's cold start

    db = await Database.open(target)
    try:
        # On PostgreSQL `storage.bulk` hands the import to storage/postgres/bulk.py (COPY).
        counts = await transfer.import_data(cast(Database, db), transfer.read_file(file))
    finally:
        await db.close()
    return counts["developments"], counts["assessments"]


#: An import's CPU priority below the bot's: a 100,000-development import is a minute of
#: CPU, and the bot beside it on the same machine must go on answering within 250 ms.
IMPORT_NICENESS = 10


_yielded = False


def yield_cpu_to_the_bot() -> None:
    """Lower this process's CPU priority by IMPORT_NICENESS, once (an import is a batch job
    beside the running bot, which it must not slow down). Where priorities cannot be
    changed, nothing changes."""
    global _yielded
    if not _yielded:
        _yielded = True
        with contextlib.suppress(OSError):
            os.nice(IMPORT_NICENESS)
