"""The PostgreSQL singleton lock: one session holds it; a session that ends (terminated by
the server, its connection dropped) frees it for another; checks never run two operations at
once on the lock's connection."""

from __future__ import annotations

import asyncio

import asyncpg

from storage.postgres.session_lock import AdvisoryLock, lock_key


async def test_one_holder_and_a_terminated_session_frees_the_lock(pg_url: str) -> None:
    first, second = AdvisoryLock(pg_url, "poller"), AdvisoryLock(pg_url, "poller")
    other = AdvisoryLock(pg_url, "another-role")
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await other.try_acquire()  # another name is another lock
        pid = first.backend_pid()
        assert pid is not None
        conn = await asyncpg.connect(pg_url)
        try:
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await conn.close()
        assert not await first.held()
        assert await second.try_acquire()
        assert not await first.try_acquire()
        await second.release()
        assert await first.try_acquire()
    finally:
        for lock in (first, second, other):
            await lock.release()


async def test_checks_at_the_same_time_share_the_session_one_after_the_other(
    pg_url: str,
) -> None:
    lock = AdvisoryLock(pg_url, "poller")
    try:
        assert await lock.try_acquire()
        answers = await asyncio.gather(lock.held(), lock.held(), lock.try_acquire())
        assert list(answers) == [True, True, True]
        await asyncio.gather(lock.held(), lock.release())
        assert not await lock.held()
    finally:
        await lock.release()


def test_a_lock_s_key_is_stable_and_per_name() -> None:
    assert lock_key("telegram-poller") == lock_key("telegram-poller")
    assert lock_key("telegram-poller") != lock_key("digest-sender")
    assert -(2**63) <= lock_key("telegram-poller") < 2**63
