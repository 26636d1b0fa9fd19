"""Locks that make a role a singleton among the processes sharing one database (the Telegram
poller: Telegram answers a second `getUpdates` poller with 409 Conflict).

On PostgreSQL a session advisory lock on a dedicated connection (`storage.postgres.
session_lock`); on SQLite, whose processes share one host, an exclusive `flock` on a file
beside the database (`storage.sqlite.file_lock`). Either is freed by the kernel or the server
when its holder dies, so another process takes over at its next try.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from storage.contract import Db


class SingletonLock(Protocol):
    """A lock held by at most one process of those sharing a database."""

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this process holds it now."""
        ...

    async def held(self) -> bool:
        """Whether this process still holds it (it may have been lost meanwhile)."""
        ...

    async def release(self) -> None:
        """Give it up; releasing a lock not held is harmless."""
        ...


class ProcessLock:
    """For a database only this process can see (SQLite in memory): always this process's."""

    def __init__(self) -> None:
        self._held = False

    async def try_acquire(self) -> bool:
        """Always taken."""
        self._held = True
        return True

    async def held(self) -> bool:
        """Held since `try_acquire`, until `release`."""
        return self._held

    async def release(self) -> None:
        """Given up."""
        self._held = False


def singleton_lock(db: Db, name: str) -> SingletonLock:
    """The lock `name` among the processes of `db`'s database (`name`: letters, digits, -)."""
    if db.dialect == "postgresql":
        from storage.postgres.database import PostgresDatabase
        from storage.postgres.session_lock import AdvisoryLock

        if not isinstance(db, PostgresDatabase):
            raise TypeError(f"not a PostgreSQL database: {type(db).__name__}")
        return AdvisoryLock(db.url, name)
    from storage.sqlite.database import Database
    from storage.sqlite.file_lock import FileLock

    if not isinstance(db, Database):
        raise TypeError(f"not a SQLite database: {type(db).__name__}")
    if str(db.path) == ":memory:":
        return ProcessLock()
    return FileLock.beside(Path(db.path), name)
