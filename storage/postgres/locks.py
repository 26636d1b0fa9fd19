"""Session advisory locks on a dedicated connection: a process's singletons and its liveness
on a shared PostgreSQL database.

A session advisory lock lasts as long as the session that took it. When the process holding
it dies (kill -9 included) or its connection is lost (a restart of the server, a network
failure), PostgreSQL ends the session and frees every lock it held, so another process can
tell a holder is gone by trying the lock (`pg_try_advisory_lock`) or reading `pg_locks`.

The connection is dedicated, never one of the pool's: a pooled connection goes back to the
pool and to other work, and a lock on it would outlive (or die with) the wrong task. The
session asks the server to probe its socket every second after two idle seconds
(`tcp_keepalives_*`, `tcp_user_timeout`): a holder cut off by the network loses its locks
within about five seconds instead of the operating system's two hours.

    session = LockSession(url)
    await session.connect()
    if await session.try_lock(lock_key("briefbot:telegram-poller")):
        ...                               # the singleton is ours while session.holds(key)
    await session.check()                 # a round trip; False (and closed) once lost
    await session.close()                 # frees every lock at once

`SessionLock(url, name)` is the same for one lock on a connection of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg

from storage.contract import Db
from storage.postgres.database import redacted

log = logging.getLogger(__name__)

#: the server probes an idle lock session's socket after 2 s, then every second, 3 times
_KEEPALIVE_SETTINGS = {
    "application_name": "briefbot-locks",
    "tcp_keepalives_idle": "2",
    "tcp_keepalives_interval": "1",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "5000",
}
#: seconds a round trip on the lock session may take before the session counts as lost
CHECK_TIMEOUT = 3.0

_HELD_SQL = (
    "SELECT classid::bigint AS hi, objid::bigint AS lo FROM pg_locks "
    "WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)

LockError = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    TimeoutError,
)


def lock_key(name: str) -> int:
    """The advisory lock key (a signed 64-bit number) of a name, the same in every process."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _split(key: int) -> tuple[int, int]:
    """How `pg_locks` shows a bigint key: its high and low 32 bits, unsigned."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


def _join(hi: int, lo: int) -> int:
    unsigned = (hi << 32) | lo
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


async def held_keys(db: Db) -> set[int]:
    """Every session advisory lock (bigint form) held now in `db`'s database, by anyone."""
    return {_join(int(r["hi"]), int(r["lo"])) for r in await db.fetchall(_HELD_SQL)}


async def is_held(db: Db, key: int) -> bool:
    """Whether some session holds the lock `key` in `db`'s database."""
    hi, lo = _split(key)
    row = await db.fetchone(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
        "AND classid = ?::oid AND objid = ?::oid "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (hi, lo),
    )
    return row is not None


class LockSession:
    """One dedicated connection holding session advisory locks (see the module docstring).

    Every method that talks to the server answers False (or nothing) when the connection is
    lost, and closes it: its locks are gone, `holds()` says so at once, and a later
    `connect()` starts a new session. Calls are serialised (one connection, one statement
    at a time)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: asyncpg.Connection | None = None
        self._held: set[int] = set()
        self._busy = asyncio.Lock()
        self.sessions = 0  # sessions opened so far (1 after the first connect)

    @property
    def open(self) -> bool:
        """Whether the session is up (as far as the client knows without asking)."""
        return self._conn is not None and not self._conn.is_closed()

    @property
    def backend_pid(self) -> int | None:
        """The server process of this session (what `pg_terminate_backend` takes)."""
        return self._conn.get_server_pid() if self.open and self._conn is not None else None

    def holds(self, key: int) -> bool:
        """Whether this session holds `key` now, without a round trip: False as soon as the
        client sees the connection end (a terminated backend, a server restart)."""
        return key in self._held and self.open

    async def connect(self, timeout: float = 10.0) -> bool:
        """Open a new session (after a lost one: its locks are not carried over)."""
        if self.open:
            return True
        self._drop()
        try:
            conn = await asyncpg.connect(
                self.url, timeout=timeout, server_settings=_KEEPALIVE_SETTINGS
            )
        except LockError as exc:
            log.warning("lock session cannot connect to %s: %s", redacted(self.url), exc)
            return False
        conn.add_termination_listener(self._terminated)
        self._conn = conn
        self.sessions += 1
        return True

    def _terminated(self, conn: Any) -> None:
        if conn is self._conn and self._held:
            log.warning("lock session ended: %d advisory locks lost", len(self._held))
        if conn is self._conn:
            self._held.clear()

    def _drop(self) -> None:
        """Forget the session (and its locks) and cut its connection, without waiting."""
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None and not conn.is_closed():
            conn.terminate()

    async def _call(self, sql: str, *args: Any, timeout: float | None = CHECK_TIMEOUT) -> Any:
        async with self._busy:
            conn = self._conn
            if conn is None or conn.is_closed():
                raise ConnectionError("the lock session is not open")
            try:
                return await conn.fetchval(sql, *args, timeout=timeout)
            except LockError:
                if conn is self._conn:
                    self._drop()
                raise

    async def try_lock(self, key: int) -> bool:
        """Take `key` if nobody holds it (`pg_try_advisory_lock`); True when this session
        holds it afterwards. Taking a key already held is a no-op."""
        if self.holds(key):
            return True
        try:
            got = bool(await self._call("SELECT pg_try_advisory_lock($1)", key))
        except (*LockError, ConnectionError):
            return False
        if got:
            self._held.add(key)
        return got

    async def lock(self, key: int, timeout: float | None = None) -> bool:
        """Wait for `key` (`pg_advisory_lock`) up to `timeout` seconds (None: for ever). A
        wait that times out ends the session (a grant racing the cancel cannot linger)."""
        if self.holds(key):
            return True
        try:
            await self._call("SELECT pg_advisory_lock($1)", key, timeout=timeout)
        except (*LockError, ConnectionError):
            return False
        self._held.add(key)
        return True

    async def unlock(self, key: int) -> None:
        """Free `key` (nothing when not held)."""
        if key not in self._held:
            return
        self._held.discard(key)
        try:
            await self._call("SELECT pg_advisory_unlock($1)", key)
        except (*LockError, ConnectionError):
            pass  # the session is gone: so is the lock

    async def check(self) -> bool:
        """A round trip: whether the session is still up (closed when it is not)."""
        try:
            await self._call("SELECT 1")
        except (*LockError, ConnectionError):
            return False
        return True

    async def held_keys(self) -> set[int] | None:
        """Every advisory lock held in the database now (by any session); None when this
        session is lost (and closed)."""
        try:
            async with self._busy:
                conn = self._conn
                if conn is None or conn.is_closed():
                    return None
                try:
                    rows = await conn.fetch(_HELD_SQL, timeout=CHECK_TIMEOUT)
                except LockError:
                    if conn is self._conn:
                        self._drop()
                    return None
        except ConnectionError:
            return None
        return {_join(int(r["hi"]), int(r["lo"])) for r in rows}

    async def close(self) -> None:
        """Free every lock now (a round trip: when this returns, others can take them),
        then close the connection. Closing twice is harmless."""
        if self._held and self.open:
            try:
                await self._call("SELECT pg_advisory_unlock_all()")
            except (*LockError, ConnectionError):
                pass
        conn, self._conn = self._conn, None
        self._held.clear()
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), CHECK_TIMEOUT)
            except LockError:
                conn.terminate()

    def terminate(self) -> None:
        """Cut the connection without waiting (what the process dying does): the server frees
        the locks once it notices, an instant later."""
        self._drop()

    def keys(self) -> Iterable[int]:
        """The keys this session holds now."""
        return set(self._held) if self.open else set()


class SessionLock:
    """One named singleton lock on a dedicated session of its own."""

    def __init__(self, url: str, name: str) -> None:
        self.key = lock_key(name)
        self.session = LockSession(url)

    async def try_acquire(self) -> bool:
        """Take the lock if it is free (connecting first if needed)."""
        return await self.session.connect() and await self.session.try_lock(self.key)

    async def acquire(self, timeout: float | None = None) -> bool:
        """Wait for the lock up to `timeout` seconds."""
        return await self.session.connect() and await self.session.lock(self.key, timeout)

    @property
    def held(self) -> bool:
        """Whether this process holds the lock now (no round trip)."""
        return self.session.holds(self.key)

    async def alive(self) -> bool:
        """Whether the lock is still held, asked of the server (a round trip)."""
        return self.held and await self.session.check() and self.held

    async def release(self) -> None:
        """Free the lock and close the session."""
        await self.session.close()
