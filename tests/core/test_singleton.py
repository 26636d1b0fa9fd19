"""The singleton role: taken when its lock is free, given up when the lock is found lost or
cannot be vouched for, never kept on an unknown."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.singleton import Singleton
from storage.sqlite.file_lock import FileLock


class Unsure(FileLock):
    """A real file lock whose check breaks (a database session in an unknown state)."""

    broken = False

    async def held(self) -> bool:
        if self.broken:
            raise RuntimeError("the lock's session answered nonsense")
        return await super().held()


async def test_a_check_that_fails_steps_down_and_frees_the_lock(tmp_path: Path) -> None:
    events: list[str] = []

    async def gain() -> None:
        events.append("gain")

    async def loss() -> None:
        events.append("loss")

    lock = Unsure(tmp_path / "role.lock")
    role = Singleton("role", lock, on_gain=gain, on_loss=loss)
    assert await role.step()
    lock.broken = True
    assert not await role.step()
    assert events == ["gain", "loss"]
    assert await FileLock(tmp_path / "role.lock").try_acquire()  # another may take it now


async def test_after_a_loss_the_others_get_an_interval_first(tmp_path: Path) -> None:
    async def nothing() -> None:
        return None

    lock = FileLock(tmp_path / "role.lock")
    role = Singleton("role", lock, on_gain=nothing, on_loss=nothing)
    assert await role.step()
    await lock.release()  # lost (its file lock dropped)
    assert not await role.step()  # steps down without taking it straight back
    assert await role.step()  # nobody else wanted it: taken at the next try
    await role.stop()


async def test_stop_ends_the_checks_even_when_a_library_swallows_the_cancellation(
    tmp_path: Path,
) -> None:
    """Python 3.11's `wait_for` (used by database drivers) can swallow a cancellation."""

    async def nothing() -> None:
        return None

    async def swallowing_sleep(seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            return  # as a library finishing its own wait at the same moment does

    role = Singleton(
        "role",
        FileLock(tmp_path / "role.lock"),
        on_gain=nothing,
        on_loss=nothing,
        interval=0.01,
        sleep=swallowing_sleep,
    )
    role.begin()
    await asyncio.sleep(0.05)
    stopping = asyncio.create_task(role.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert stopping in done
    assert not role.running
    assert await FileLock(tmp_path / "role.lock").try_acquire()
