"""Who sends each platform's digests: one process per platform at a time.

Discord's 50 requests a second and Telegram's 30 messages a second are per bot, not per
process, so two processes pacing themselves separately would double the rate. A process
leads only the platforms whose front end it runs: a Discord-only and a Telegram-only process
on one database each lead their own.

`Leadership` is what the delivery engine asks; `LedgerLeadership` keeps the lead in the
database (a row per platform with a lease and a fencing token, taken over by the same rules
as a delivery: a dead owner, or a lease long past its expiry). Another store (an advisory
lock on PostgreSQL, `bot.core.digests.advisory`) slots in behind the same interface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.digests.pacing import Timer
from bot.domain.clock import Clock
from bot.domain.scope import Platform
from storage import subscriptions as store
from storage.contract import Db
from storage.contract import DbWriter as Writer

log = logging.getLogger(__name__)


class OwnerLiveness(Protocol):
    """The engine's view of which processes are alive (`Liveness` on SQLite,
    `AdvisoryLiveness` on PostgreSQL)."""

    def register(self, owner: str) -> None:
        """This process (`owner`) is alive until `release`."""
        ...

    def release(self, owner: str) -> None:
        """This process stops counting as alive (what exiting does)."""
        ...

    def alive(self, owner: str) -> bool | None:
        """Whether `owner`'s process runs (None: cannot tell)."""
        ...

    async def refreshed(self, owner: str) -> str:
        """Register again what was lost and read who is alive now; returns the owner id
        this process goes by from now on."""
        ...


class Leadership(Protocol):
    """The engine's view of who sends a platform's digests."""

    async def lead(self, platform: Platform) -> bool:
        """Take (or keep) the lead of `platform`; whether this process has it."""
        ...

    async def holds(self, w: Writer, platform: Platform) -> bool:
        """Inside a claim's write transaction: whether this process still leads."""
        ...

    def current(self, platform: Platform) -> bool:
        """Without a round trip: whether nothing this process knows says it lost the lead
        (checked before each part of a delivery claimed as the sender)."""
        ...

    async def fence(self, w: Writer, platform: Platform) -> bool:
        """Inside each ledger write of a delivery claimed as the sender: whether it may
        still write."""
        ...

    async def served(self, platform: Platform) -> bool | None:
        """Whether some live process leads `platform` (None: cannot tell)."""
        ...

    async def release(self, platform: Platform) -> None:
        """Step down (after this process stopped sending to `platform`)."""
        ...


def takeable(
    liveness: OwnerLiveness,
    me: str,
    owner: str | None,
    lease_until: datetime | None,
    now: datetime,
    lease: timedelta,
) -> bool:
    """Whether what `owner` holds (a delivery, or a lead) may be taken over by `me` now."""
    if owner is None or owner == me:
        return True
    alive = liveness.alive(owner)
    if alive is False:
        return True  # the kernel says its process is gone
    if lease_until is None:
        return True
    # Alive (or unknown): only a lease long past its stored expiry (a hung holder). The
    # fencing token stops that holder before its next post if it wakes up.
    grace = lease if alive else timedelta(0)
    return lease_until + grace <= now


class LedgerLeadership:
    """The lead kept in the database's `delivery_leaders` table."""

    def __init__(
        self,
        db: Db,
        owner: str,
        liveness: OwnerLiveness,
        clock: Clock,
        timer: Timer,
        lease: timedelta,
        *,
        on_taken: Callable[[Platform], None] | None = None,
    ) -> None:
        self.db = db
        self.owner = owner
        self.liveness = liveness
        self.clock = clock
        self.timer = timer
        self.lease = lease
        self.on_taken = on_taken
        self._renew_at: dict[Platform, float] = {}

    async def lead(self, platform: Platform) -> bool:
        """Renewed after half a lease of this process's monotonic time; in between a cheap
        read tells whether another process found us hung and took over."""
        if platform in self._renew_at and self.timer.monotonic() < self._renew_at[platform]:
            if await store.leads_delivery(self.db, platform, self.owner):
                return True
            del self._renew_at[platform]
        now = self.clock()
        leader = await store.delivery_leader(self.db, platform)
        token = 0
        if leader is not None:
            owner, until, token = leader
            if not takeable(self.liveness, self.owner, owner, until, now, self.lease):
                self._renew_at.pop(platform, None)
                return False
        async with self.db.transaction() as w:
            took = await store.take_leadership(
                w, platform, self.owner, now + self.lease, seen_token=token
            )
        if not took:
            self._renew_at.pop(platform, None)
            return False
        self._renew_at[platform] = self.timer.monotonic() + self.lease.total_seconds() / 2
        if leader is None or leader[0] != self.owner:
            log.info("digest delivery of %s led by this process (owner=%s)", platform, self.owner)
            if self.on_taken is not None:
                self.on_taken(platform)
        return True

    async def holds(self, w: Writer, platform: Platform) -> bool:
        """Read inside the caller's transaction."""
        held = await store.leads_delivery(w, platform, self.owner)
        if not held:
            self._renew_at.pop(platform, None)
        return held

    def current(self, platform: Platform) -> bool:
        """The delivery's own fence decides (read before each part): a hung leader whose
        lead was taken still finishes what it holds."""
        return True

    async def fence(self, w: Writer, platform: Platform) -> bool:
        """As `current`: the delivery's own fence (owner and token) guards its writes."""
        return True

    async def served(self, platform: Platform) -> bool | None:
        """Unknown liveness (no registry) counts as served while the lease runs."""
        leader = await store.delivery_leader(self.db, platform)
        if leader is None:
            return False
        owner, until, _token = leader
        if owner == self.owner:
            return True
        return not takeable(self.liveness, self.owner, owner, until, self.clock(), self.lease)

    async def release(self, platform: Platform) -> None:
        """Deleting the row frees the lead at once (the next leader starts a new token)."""
        self._renew_at.pop(platform, None)
        async with self.db.transaction() as w:
            await store.give_up_leadership(w, platform, self.owner)
