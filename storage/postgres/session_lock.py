"""A singleton across processes and machines sharing a PostgreSQL database: a session-level
advisory lock (`pg_try_advisory_lock`) held on a connection of its own, outside the pool.

The server drops a session's advisory locks when the session ends: its process killed
(SIGKILL included: the kernel closes the socket), its connection dropped or terminated. The
session asks the server to probe an idle client every few seconds (TCP keepalives), so a
holder whose machine vanished without closing its socket frees the lock within about 10 s
too. The holder checks its session at every `held()`: a session gone means the lock is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import asyncpg

log = logging.getLogger(__name__)

#: how long one check of the lock's session may take before the lock counts as lost
CHECK_TIMEOUT = 5.0
# The server notices a vanished client after idle + interval × count seconds.
_SESSION_SETTINGS = {
    "application_name": "briefbot-lock",
    "tcp_keepalives_idle": "4",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "2",
}


def lock_key(name: str) -> int:
    """A lock's 64-bit key: the same for `name` in every process of every release."""
    digest = hashlib.sha256(f"briefbot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """The advisory lock `name` on the database at `url`, on a dedicated connection."""

    def __init__(self, url: str, name: str, *, timeout: float = CHECK_TIMEOUT) -> None:
        self.url = url
        self.name = name
        self.key = lock_key(name)
        self.timeout = timeout
        self._conn: asyncpg.Connection | None = None
        self._held = False
        # One operation at a time on the session: asyncpg refuses concurrent ones. (Waits
        # are bounded with `asyncio.timeout`: Python 3.11's `wait_for` can swallow a
        # cancellation, which would keep a stopped process's lock checks running.)
        self._mutex = asyncio.Lock()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                self.url, timeout=self.timeout, server_settings=_SESSION_SETTINGS
            )
        return self._conn

    async def try_acquire(self) -> bool:
        """Take the lock if no session holds it; whether this process holds it now. A
        database that cannot be reached answers False (the caller tries again later)."""
        async with self._mutex:
            if await self._alive():
                return True
            try:
                conn = await self._connection()
                async with asyncio.timeout(self.timeout):
                    got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
            except Exception as exc:  # unreachable, refused, or the session broke
                log.warning("lock %s: database not reachable (%s)", self.name, type(exc).__name__)
                self._drop()
                return False
            self._held = bool(got)
            return self._held

    async def held(self) -> bool:
        """Whether the lock's session is still there (a round trip to the server)."""
        async with self._mutex:
            return await self._alive()

    async def _alive(self) -> bool:
        if not self._held or self._conn is None or self._conn.is_closed():
            self._drop()
            return False
        try:
            async with asyncio.timeout(self.timeout):
                await self._conn.fetchval("SELECT 1")
        except Exception as exc:  # whatever broke, the session cannot vouch for the lock
            log.warning("lock %s: its session is gone (%s)", self.name, type(exc).__name__)
            self._drop()
            return False
        return True

    def backend_pid(self) -> int | None:
        """The server process of the lock's session (None without one)."""
        if self._conn is None or self._conn.is_closed():
            return None
        return self._conn.get_server_pid()

    def _drop(self) -> None:
        """Forget the session; ending it frees the lock on the server if it still held it."""
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def release(self) -> None:
        """Give the lock up: ending the session frees it."""
        async with self._mutex:
            self._held = False
            conn, self._conn = self._conn, None
            if conn is not None and not conn.is_closed():
                try:
                    async with asyncio.timeout(self.timeout):
                        await conn.close()
                except Exception:  # closing politely failed: cut the connection
                    conn.terminate()
