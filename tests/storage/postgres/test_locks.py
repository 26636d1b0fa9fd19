"""Session advisory locks: one holder at a time, freed when the holder's session ends."""

from __future__ import annotations

import asyncio

from storage.postgres.database import PostgresDatabase
from storage.postgres.locks import LockSession, SessionLock, held_keys, is_held, lock_key


async def _gone(db: PostgresDatabase, key: int) -> None:
    """Wait until the server has freed `key` (a backend exits an instant after its socket)."""
    for _ in range(500):
        if not await is_held(db, key):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the lock was never freed")


async def test_one_holder_at_a_time_and_the_next_takes_it_after_release(pg_url: str) -> None:
    first, second = SessionLock(pg_url, "singleton"), SessionLock(pg_url, "singleton")
    assert await first.try_acquire()
    assert not await second.try_acquire()
    assert first.held and await first.alive() and not second.held
    await first.release()  # frees it at once: no waiting for the server to notice
    assert await second.try_acquire()
    await second.release()


async def test_a_terminated_session_loses_its_locks_and_the_client_sees_it_at_once(
    pg_url: str,
) -> None:
    db = await PostgresDatabase.open(pg_url)
    holder, other = LockSession(pg_url), LockSession(pg_url)
    try:
        key = lock_key("briefbot:test")
        assert await holder.connect() and await other.connect()
        assert await holder.try_lock(key)
        assert key in await held_keys(db) and await is_held(db, key)
        await db.scalar("SELECT pg_terminate_backend(?)", (holder.backend_pid,))
        await _gone(db, key)
        # The server frees the locks as its backend exits, a moment before the kernel closes
        # the socket: the client sees the end within that moment, without a round trip.
        for _ in range(100):
            if not holder.open:
                break
            await asyncio.sleep(0.01)
        assert not holder.holds(key) and not holder.open
        assert await other.try_lock(key)
        # The lost holder opens a new session; the lock is not handed back to it.
        assert await holder.connect() and not await holder.try_lock(key)
        assert await holder.check()
    finally:
        await holder.close()
        await other.close()
        await db.close()


async def test_keys_are_stable_and_spread() -> None:
    assert lock_key("a") == lock_key("a") != lock_key("b")
    assert -(2**63) <= lock_key("briefbot:owner:x") < 2**63
