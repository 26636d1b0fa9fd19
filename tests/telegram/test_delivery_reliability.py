"""A long 429 never freezes the Telegram front end: with the production rate limiter, a
digest send that meets one gives its attempt back, and other chats are answered meanwhile.
A graceful stop finishes the part in flight before it lets another process take over."""

from __future__ import annotations

import asyncio

from bot.core.digests.liveness import Liveness
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.harness.fake_poster import HeldPoster
from tests.helpers import EDITOR, draft
from tests.telegram.conftest import ADMIN_TG, MEMBER_TG, Running


async def test_a_long_429_gives_the_digest_back_and_other_chats_are_answered(
    tg: Running,
) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 08:00 UTC")
    await fake.wait_sent(MEMBER_TG)
    # Something new for the digest (a fresh install's starter data is not news).
    await tg.services.catalogue.add(EDITOR, draft(title="Seoul and Tokyo resume shuttle talks"))
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


async def test_a_graceful_stop_finishes_the_part_in_flight_then_gives_up_the_lead(
    tg: Running,
) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 08:00 UTC")
    await fake.wait_sent(MEMBER_TG)
    # Something new for the digest (a fresh install's starter data is not news).
    await tg.services.catalogue.add(EDITOR, draft(title="Seoul and Tokyo resume shuttle talks"))
    before = len(fake.sent[MEMBER_TG])
    hub = tg.services.digests
    in_flight = HeldPoster(hub.poster.posters["telegram"])
    hub.poster.posters["telegram"] = in_flight
    tg.services.clock.advance(days=1)  # type: ignore[attr-defined]
    sweep = asyncio.create_task(hub.scheduler.sweep())
    await asyncio.wait_for(in_flight.started.wait(), 10)  # a test that fails, never hangs
    stopping = asyncio.create_task(tg.bot.stop())
    async with asyncio.timeout(10):  # until the front end has stopped and digests stop next
        while not stopping.done() and "telegram" in hub.engine.platforms:
            await asyncio.sleep(0.01)
    for _ in range(50):
        await asyncio.sleep(0)
    # Still sending: this process keeps its lead and its liveness, so no other takes over.
    assert not stopping.done()
    leader = await store.delivery_leader(tg.services.db, "telegram")
    assert leader is not None and leader[0] == hub.engine.owner
    assert isinstance(tg.services.db, Database)  # liveness files sit beside a SQLite file
    other = Liveness.beside(tg.services.db.path)
    assert other.alive(hub.engine.owner) is True
    in_flight.go.set()
    await asyncio.wait_for(stopping, 10)
    assert [o.kind for o in await sweep] == ["sent"]
    assert len(fake.sent[MEMBER_TG]) > before
    assert await store.delivery_leader(tg.services.db, "telegram") is None
    assert other.alive(hub.engine.owner) is False
