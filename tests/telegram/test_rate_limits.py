"""A long 429 never freezes the Telegram front end: with the production rate limiter, a
digest send that meets one gives its attempt back, and other chats are answered meanwhile."""

from __future__ import annotations

import asyncio

from storage import subscriptions as store
from tests.telegram.conftest import ADMIN_TG, MEMBER_TG, Running


async def test_a_long_429_gives_the_digest_back_and_other_chats_are_answered(
    tg: Running,
) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 08:00 UTC")
    await fake.wait_sent(MEMBER_TG)
    before = len(fake.sent[MEMBER_TG])
    fake.fail_next[MEMBER_TG] = [35]  # "retry after 35 s" for the digest's chat
    tg.services.clock.advance(days=1)  # type: ignore[attr-defined]
    sweep = asyncio.create_task(tg.services.digests.scheduler.sweep())
    await fake.wait_for(lambda: fake.rate_limited >= 1)
    # Another chat's command is answered while the digest's chat is rate limited.
    fake.message(ADMIN_TG, ADMIN_TG, "/help")
    await fake.wait_sent(ADMIN_TG)
    outcomes = await asyncio.wait_for(sweep, 10)
    assert [o.kind for o in outcomes] == ["retry-later"]
    assert len(fake.sent[MEMBER_TG]) == before  # nothing posted yet, nothing lost
    sub = await store.subscription_for_channel(tg.services.db, MEMBER_TG)
    assert sub is not None and sub.active
    (row,) = await store.deliveries(tg.services.db, sub.id)
    assert row.state == "sending" and row.failures == 1 and "429" in (row.error or "")
    # The next sweep sends it.
    outcomes = await tg.services.digests.scheduler.sweep()
    assert [o.kind for o in outcomes] == ["sent"]
    assert len(fake.sent[MEMBER_TG]) > before
