"""Is the process that holds a delivery lease still running? Asked of the kernel, not a clock.

Each delivery engine holds an exclusive `flock` on its own file in `<database>.owners/` for
as long as it lives; the kernel drops the lock when the process dies (SIGKILL included).
Another process asks by trying the same lock: if it gets it, the owner is dead. The database
runs in WAL mode, which only works when every process shares one host, so the lock files are
always visible to every process that can see the ledger.

The folder is found from the database's real path (a symlinked release directory leads every
process to the same folder). A missing file means "unknown", never "dead": an operator or a
tmp cleaner may remove the folder under a running process, which then registers again at its
next sweep (`refresh`); meanwhile only a lease long expired can be taken over.

This is why a clock step or a paused VM cannot make a live lease look expired: a live
owner's lease is only ever taken over after its stored expiry *and* a full extra lease of
grace, and even then the fencing token stops the old holder before its next post.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: a dead owner's file is tidied away only this long after it was made: any lease it held
#: has long expired by then, so its missing file ("unknown") can hold nothing up
STALE_SECONDS = 7 * 86400


class Liveness:
    """Registers this process's owner id and answers whether other owners are alive."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._held: dict[str, IO[bytes]] = {}

    @classmethod
    def beside(cls, database_path: Path) -> Liveness:
        """The registry for a database file (none for an in-memory database)."""
        if str(database_path) == ":memory:":
            return cls(None)
        return cls(Path(f"{os.path.realpath(database_path)}.owners"))

    def _path(self, owner: str) -> Path | None:
        if self.directory is None or not _SAFE.match(owner):
            return None
        return self.directory / f"{owner}.lock"

    def refresh(self) -> None:
        """Register again every owner whose file is gone (its folder removed by an
        operator or a cleaner): other processes would read it as unknown, not alive."""
        for owner, handle in list(self._held.items()):
            path = self._path(owner)
            if path is None:
                continue
            try:
                if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                    continue
            except OSError:
                pass
            log.warning("delivery owner %s lost its liveness file: registering again", owner)
            del self._held[owner]
            handle.close()
            self.register(owner)

    async def refreshed(self, owner: str) -> str:
        """`refresh`, as the engine asks it at each sweep (the owner id never changes)."""
        self.refresh()
        return owner

    def register(self, owner: str) -> None:
        """Hold `owner`'s lock for as long as this process lives (or until `release`), and
        tidy away the files of owners that are gone."""
        path = self._path(owner)
        if path is None or owner in self._held:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._tidy(path.parent)
            for _ in range(5):
                handle = path.open("ab")
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another process asking whether we are alive
                    handle.close()
                    time.sleep(0.01)
                    continue
                # A tidy-up by another process may have unlinked the file between our open
                # and our lock: only a lock on the file that is still there counts.
                if path.exists() and os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                    self._held[owner] = handle
                    return
                handle.close()
        except OSError as exc:
            log.warning(
                "cannot register delivery owner %s (%s): leases fall back to expiry", owner, exc
            )
        self.directory = None  # unknown for everyone: expiry decides

    def release(self, owner: str) -> None:
        """Drop `owner`'s lock (what process exit does); its file then reads as dead."""
        handle = self._held.pop(owner, None)
        if handle is not None:
            handle.close()

    def _tidy(self, directory: Path) -> None:
        stale = time.time() - STALE_SECONDS
        for path in directory.glob("*.lock"):
            if path.stem in self._held:
                continue
            try:
                if path.stat().st_mtime > stale:
                    continue
            except OSError:
                continue
            self._dead(path, remove=True)

    @staticmethod
    def _dead(path: Path, *, remove: bool = False) -> bool | None:
        """Try the owner's lock: True when nobody holds it (and the file removed, when
        `remove`); None when there is no file to ask."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError:
            os.close(fd)
            return None
        if remove:
            with contextlib.suppress(OSError):
                path.unlink()  # while holding the lock, so a registering owner notices
        os.close(fd)
        return True

    def alive(self, owner: str) -> bool | None:
        """True or False when the kernel can tell; None when unknown (no file to ask: an
        in-memory database, a registry that could not be written, a folder removed)."""
        if owner in self._held:
            return True
        path = self._path(owner)
        if path is None:
            return None
        dead = self._dead(path)
        return None if dead is None else not dead
