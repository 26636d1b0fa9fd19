"""Operating the database file: migrate, back up, restore, check health, import, export.

The command line's `db`, `check`, `import` and `export` go through here, so no front end
opens the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import transfer
from storage.catalogue import catalogue_counts
from storage.database import Database, DatabaseError

__all__ = [
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

    @property
    def ok(self) -> bool:
        """SQLite's integrity check passed."""
        return self.integrity == "ok"


async def migrate(path: Path) -> int:
    """Apply pending migrations; the schema version after."""
    db = await Database.open(path)
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


async def restore(backup_path: Path, target: Path) -> int:
    """Check a backup, then copy it over the live database (stop the bot first); the
    restored schema version."""
    staging = target.with_name(target.name + ".restoring")
    source = await Database.open(backup_path, migrate=False)
    try:
        health = await source.integrity_check()
        if health != "ok":
            raise DatabaseError(f"{backup_path} fails its integrity check: {health}")
        if await source.schema_version() == 0:
            raise DatabaseError(f"{backup_path} is not a briefbot database")
        await source.backup_to(staging)
    finally:
        await source.close()
    # The old database's WAL and shared-memory files belong to it, not to the backup: left
    # in place (after a crash) they would be replayed onto the restored copy.
    for leftover in (f"{target}-wal", f"{target}-shm"):
        Path(leftover).unlink(missing_ok=True)
    staging.replace(target)
    restored = await Database.open(target)
    try:
        return await restored.schema_version()
    finally:
        await restored.close()


async def check_health(path: Path) -> DatabaseHealth:
    """Integrity, schema version and catalogue totals of the database at `path`."""
    db = await Database.open(path)
    try:
        health = await db.integrity_check()
        counts = await catalogue_counts(db)
        return DatabaseHealth(health, await db.schema_version(), counts)
    finally:
        await db.close()


async def export_file(path: Path, file: Path) -> tuple[int, int]:
    """Export everything to `file` (JSON or CSV); (developments, assessments) written."""
    db = await Database.open(path)
    try:
        data = await transfer.export_data(db)
    finally:
        await db.close()
    transfer.write_file(file, data)
    return len(data["developments"]), len(data["assessments"])


async def import_file(path: Path, file: Path) -> tuple[int, int]:
    """Import `file` (all of it or nothing); (developments, assessments) added."""
    db = await Database.open(path)
    try:
        counts = await transfer.import_data(db, transfer.read_file(file))
    finally:
        await db.close()
    return counts["developments"], counts["assessments"]
