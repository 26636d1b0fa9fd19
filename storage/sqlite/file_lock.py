"""A process-wide singleton on one host: an exclusive `flock` on a file beside the database.

SQLite in WAL mode is shared only by processes on one host, so a lock file there is seen by
every process that can see the database. The kernel drops the lock when its holder dies
(SIGKILL included); a waiting process then takes it at its next try.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class FileLock:
    """An exclusive, non-blocking `flock` on `path`, held until `release()` or exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    @classmethod
    def beside(cls, database_path: Path, name: str) -> FileLock:
        """The lock `name` of a database file (found from its real path, so a symlinked
        release folder leads every process to the same file)."""
        return cls(Path(f"{os.path.realpath(database_path)}.{name}.lock"))

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this process holds it now."""
        if await self.held():
            return True
        try:
            handle = self.path.open("ab")
        except OSError as exc:
            log.warning("cannot open the lock file %s (%s)", self.path, exc)
            return False
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process holds it
            handle.close()
            return False
        self._handle = handle
        return await self.held()  # False when removed between our open and our lock

    async def held(self) -> bool:
        """Whether this process still holds the lock. A file removed or replaced under us
        (an operator, a tmp cleaner) would let another process lock a new one: then the
        lock counts as lost."""
        if self._handle is None:
            return False
        try:
            same = os.stat(self.path).st_ino == os.fstat(self._handle.fileno()).st_ino
        except OSError:
            same = False
        if not same:
            log.warning("lock file %s was removed or replaced: the lock is lost", self.path)
            await self.release()
        return same

    async def release(self) -> None:
        """Give the lock up (what process exit does)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
