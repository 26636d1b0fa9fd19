"""Operator maintenance of the database file: restore (backups are `Database.backup_to`)."""

from __future__ import annotations

from pathlib import Path

from bot.core.clock import Clock, system_clock
from storage.restore import Restored, restore_database


async def restore(backup: Path, target: Path, clock: Clock = system_clock) -> Restored:
    """Check `backup` is ours, migrate a copy of it, then swap it in for `target`, keeping
    the previous database as `<target>.before-restore-<time>`."""
    return await restore_database(backup, target, clock())
