"""Who is alive and who sends, on a shared PostgreSQL database: session advisory locks.

SQLite's answers (a lock file per process beside the database, a lead kept as a row with a
lease) need one machine. On PostgreSQL the processes may run anywhere, so each keeps one
dedicated session (`storage.postgres.locks.LockSession`) for as long as it lives, holding:

- a lock on its owner id: another process knows the owner is dead when that lock is free
  (kill -9, a crash, a lost connection: PostgreSQL ends the session and frees its locks);
- a lock per platform whose digests it sends (`pg_try_advisory_lock`): one sender per
  platform, whatever the number of processes. A standby tries the lock every few seconds
  (`WATCH_SECONDS`, the scheduler's watch job), so it takes over a few seconds after the
  holder's death.

Taking a platform's lock writes a new fencing token into `delivery_leaders`; every ledger
write of a delivery claimed as the sender checks, in its own transaction, that this process
still holds the lock and that the token is still its own. A holder that stalled while its
session was dropped, and whose lead another process took meanwhile, writes nothing.

When its own session is lost the process stops sending at once (`current()` turns false the
moment the client sees the connection end; a silent network is caught by the watch job's
round trip), and carries on under a new owner id in a new session: its old id reads as dead,
so whoever sends next takes over its interrupted deliveries without waiting for a lease.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

import asyncpg

from bot.domain.clock import Clock
from bot.domain.scope import Platform
from storage import subscriptions as store
from storage.contract import Db, DbWriter
from storage.postgres.locks import LockSession, is_held, lock_key

log = logging.getLogger(__name__)

#: how often a process checks its session and a standby tries each platform's lock; with the
#: lock session's keepalives (about 5 s to drop a silent peer) a takeover stays within 10 s
WATCH_SECONDS = 2.0


def owner_key(owner: str) -> int:
    """The advisory lock a process holds on its owner id while it lives."""
    return lock_key(f"briefbot:digest-owner:{owner}")


def sender_key(platform: Platform) -> int:
    """The advisory lock of `platform`'s digest sender."""
    return lock_key(f"briefbot:digest-sender:{platform}")


class AdvisoryLiveness:
    """A process's liveness: a lock on its owner id in its lock session (see above)."""

    def __init__(self, url: str, owner: str) -> None:
        self.session = LockSession(url)
        self.owner = owner
        self.wanted = False
        self._alive: set[int] | None = None  # every advisory key held, at the last refresh
        #: told when the session is gone (its leads went with it)
        self.on_lost: list[Callable[[], None]] = []

    # --- liveness -------------------------------------------------------------------------

    def register(self, owner: str) -> None:
        """This process is alive: its session opens at the next refresh (inside the loop)."""
        self.wanted = True

    def release(self, owner: str) -> None:
        """Drop the session and every lock in it (what the process exiting does)."""
        self.wanted = False
        self._lost()
        self.session.terminate()

    def _lost(self) -> None:
        for hook in self.on_lost:
            hook()

    def registered(self) -> bool:
        """Whether this process holds its owner lock now (no round trip)."""
        return self.wanted and self.session.holds(owner_key(self.owner))

    async def refreshed(self, owner: str) -> str:
        """Check the session (a round trip) and read who is alive; after a lost session, open
        a new one under a new owner id. Returns the owner id this process now goes by."""
        if not self.wanted:
            return self.owner
        keys = await self.session.held_keys() if self.session.open else None
        if keys is None or not self.session.holds(owner_key(self.owner)):
            if self.session.sessions > 0:
                old, self.owner = self.owner, uuid.uuid4().hex[:12]
                log.warning(
                    "digest lock session lost (owner=%s): continuing as owner=%s", old, self.owner
                )
            self._lost()
            self._alive = None
            if not await self.session.connect():
                return self.owner
            if not await self.session.try_lock(owner_key(self.owner)):
                return self.owner
            keys = await self.session.held_keys()
        self._alive = keys
        return self.owner

    def alive(self, owner: str) -> bool | None:
        """From the last refresh: an owner whose lock nobody holds is dead; None when this
        process could not ask (its own session is down)."""
        if owner == self.owner:
            return self.session.holds(owner_key(owner))
        if self._alive is None:
            return None
        return owner_key(owner) in self._alive

    async def close(self) -> None:
        """Free every lock now and close the session (a graceful end)."""
        self.wanted = False
        self._lost()
        await self.session.close()


class AdvisoryLeadership:
    """The digest sender of each platform: a lock per platform in the liveness's session,
    with a fencing token in `delivery_leaders` (see above)."""

    def __init__(
        self,
        db: Db,
        liveness: AdvisoryLiveness,
        clock: Clock,
        lease: timedelta,
        *,
        on_taken: Callable[[Platform], None] | None = None,
    ) -> None:
        self.db = db
        self.liveness = liveness
        self.session = liveness.session
        self.clock = clock
        self.lease = lease
        self.on_taken = on_taken
        self._tokens: dict[Platform, int] = {}  # platform → the fencing token of our lead
        liveness.on_lost.append(self._tokens.clear)

    @property
    def owner(self) -> str:
        """The owner id this process goes by now."""
        return self.liveness.owner

    async def lead(self, platform: Platform) -> bool:
        """Keep the platform's lock, or try to take it (only while this process is alive)."""
        if not self.liveness.registered():
            self._tokens.pop(platform, None)
            return False
        if self.current(platform):
            return True
        self._tokens.pop(platform, None)
        key = sender_key(platform)
        if not await self.session.try_lock(key):
            return False
        try:
            async with self.db.transaction() as w:
                token = await store.seize_leadership(
                    w, platform, self.owner, self.clock() + self.lease
                )
        except BaseException:
            await self.session.unlock(key)
            raise
        self._tokens[platform] = token
        log.info(
            "digest delivery of %s led by this process (owner=%s token=%s)",
            platform,
            self.owner,
            token,
        )
        if self.on_taken is not None:
            self.on_taken(platform)
        return True

    def current(self, platform: Platform) -> bool:
        """Whether this process still holds the platform's lock, without a round trip."""
        return platform in self._tokens and self.session.holds(sender_key(platform))

    async def holds(self, w: DbWriter, platform: Platform) -> bool:
        """Inside a write transaction: the lock is still ours and nobody took the lead since
        (the fencing token in `delivery_leaders` is still the one we wrote)."""
        token = self._tokens.get(platform)
        if token is None or not self.current(platform):
            return False
        return await store.leads_with_token(w, platform, self.owner, token)

    async def fence(self, w: DbWriter, platform: Platform) -> bool:
        """Every ledger write of a delivery claimed as the sender is fenced by the lead."""
        return await self.holds(w, platform)

    async def served(self, platform: Platform) -> bool | None:
        """Whether some session holds the platform's lock (None: cannot ask)."""
        if self.current(platform):
            return True
        try:
            return await is_held(self.db, sender_key(platform))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None

    async def release(self, platform: Platform) -> None:
        """Step down after a graceful stop: the next process takes the lock at once."""
        self._tokens.pop(platform, None)
        async with self.db.transaction() as w:
            await store.give_up_leadership(w, platform, self.owner)
        await self.session.unlock(sender_key(platform))
