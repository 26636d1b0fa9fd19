"""A role only one process may have at a time among those sharing a database (the Telegram
poller), taken over by another within seconds of its holder's death.

Every `interval` seconds a `Singleton` either checks that it still holds its lock (and steps
down if it lost it: the database connection that held it dropped) or tries to take it. The
lock itself (`storage.singleton`) is freed by the kernel or the database server when its
holder dies, so with the default 3 s a waiting process takes over within 3 s of the death
plus the time the server needs to notice it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.contract import Db
from storage.singleton import SingletonLock, singleton_lock

log = logging.getLogger(__name__)

#: how often a process without the role tries to take it (and a holder checks it still has it)
RETRY_SECONDS = 3.0

Sleep = Callable[[float], Awaitable[None]]
Step = Callable[[], Awaitable[None]]


class Singleton:
    """Holds the role `name` whenever it can: `on_gain` runs when this process takes it,
    `on_loss` when it finds it lost and at `stop()`."""

    def __init__(
        self,
        name: str,
        lock: SingletonLock,
        *,
        on_gain: Step,
        on_loss: Step,
        interval: float = RETRY_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.lock = lock
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.interval = interval
        self.sleep = sleep
        self.holds = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @classmethod
    def on(
        cls,
        db: Db,
        name: str,
        *,
        on_gain: Step,
        on_loss: Step,
        interval: float = RETRY_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> Singleton:
        """The role `name` among the processes of `db`'s database."""
        return cls(
            name,
            singleton_lock(db, name),
            on_gain=on_gain,
            on_loss=on_loss,
            interval=interval,
            sleep=sleep,
        )

    async def step(self) -> bool:
        """Check the role (stepping down if it was lost) or try to take it; whether this
        process has it now."""
        if self.holds and not await self._still_held():
            self.holds = False
            log.warning("singleton %s: lost (its lock went away); standing by", self.name)
            await self.on_loss()
            return False  # the others get an interval to take it first
        if not self.holds and not self._stopping and await self.lock.try_acquire():
            try:
                await self.on_gain()
            except Exception:
                log.exception("singleton %s: taking over failed; trying again", self.name)
                await self.lock.release()
                return False
            self.holds = True
            log.info("singleton %s: this process has it now", self.name)
        return self.holds

    async def _still_held(self) -> bool:
        try:
            return await self.lock.held()
        except Exception:
            # Unknown is treated as lost: polling beside another holder is the worse error.
            log.exception("singleton %s: cannot tell whether the lock is still held", self.name)
            await self.lock.release()
            return False

    @property
    def running(self) -> bool:
        """Whether the background checks run (between `begin()` and `stop()`)."""
        return self._task is not None and not self._task.done()

    def begin(self) -> None:
        """Keep checking or trying in the background until `stop()`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"singleton:{self.name}")

    async def _run(self) -> None:
        # The flag as well as the cancellation: a cancellation swallowed by a library
        # must not keep a stopped process trying to take the role.
        while not self._stopping:
            await self.sleep(self.interval)
            if self._stopping:
                return
            try:
                await self.step()
            except Exception:
                log.exception("singleton %s: check failed; trying again", self.name)

    async def stop(self, *, before_release: Step | None = None) -> None:
        """Stop checking, run `on_loss` (also when a takeover was cut short half-way, so
        it must be harmless without the role), then `before_release` (work the next holder
        must find done), then free the lock."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.holds = False
        try:
            await self.on_loss()
            if before_release is not None:
                await before_release()
        finally:
            await self.lock.release()
