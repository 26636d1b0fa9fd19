"""The process's one digest engine routes each subscription to its platform; a platform
whose front end is not running keeps its digests waiting (never paused, never skipped)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.core.actors import Actor
from bot.core.digests.hub import DigestHub, platform_of_channel
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.helpers import FixedClock

DISCORD_CHANNEL = 333333333333333333
TELEGRAM_CHAT = -1001234567890


class Recorder:
    """A poster that records what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        self.sent.append((channel_id, content))
        return len(self.sent)

    async def find(
        self,
        channel_id: int,
        marker: str,
        *,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
        first_id: int | None = None,
    ) -> int | None:
        return None


async def compose(sub: object, plan: object) -> list[str]:
    return ["a digest"]


def test_channel_ids_tell_the_platform() -> None:
    assert platform_of_channel(DISCORD_CHANNEL) == "discord"
    assert platform_of_channel(TELEGRAM_CHAT) == "telegram"
    assert platform_of_channel(5550003) == "telegram"


async def test_deliveries_are_routed_and_a_stopped_platform_waits(
    db: Database, clock: FixedClock
) -> None:
    subs = SubscriptionService(db, clock)
    for scope, channel in (
        (Scope.discord(111111111111111111), DISCORD_CHANNEL),
        (Scope.telegram(TELEGRAM_CHAT), TELEGRAM_CHAT),
    ):
        mod = Actor(user_id="1", name="mod", scope=scope, is_moderator=True)
        await subs.subscribe(mod, scope, channel, cadence="daily", post_empty=True)
    hub = DigestHub(db, clock)
    telegram = Recorder()
    hub.register("telegram", telegram, compose)
    clock.advance(days=1)
    outcomes = {o.subscription_id: o.kind for o in await hub.engine.run_due()}
    assert sorted(outcomes.values()) == ["sent", "standby"]
    # The engine adds the delivery's reference to each part (how a resume recognises it).
    assert [(c, t.split(" · ref ")[0]) for c, t in telegram.sent] == [(TELEGRAM_CHAT, "a digest")]
    discord_sub = await store.subscription_for_channel(db, DISCORD_CHANNEL)
    assert discord_sub is not None and discord_sub.active  # waiting, not paused
    assert discord_sub.waiting_for is None  # not yet a period late
    clock.advance(days=1)
    await hub.engine.run_due()
    discord_sub = await store.subscription_for_channel(db, DISCORD_CHANNEL)
    assert discord_sub is not None and discord_sub.waiting_for == "discord"
    discord = Recorder()
    hub.register("discord", discord, compose)
    outcomes = {o.subscription_id: o.kind for o in await hub.engine.run_due()}
    assert list(outcomes.values()) == ["sent"]
    assert [(c, t.split(" · ref ")[0]) for c, t in discord.sent] == [(DISCORD_CHANNEL, "a digest")]
    discord_sub = await store.subscription_for_channel(db, DISCORD_CHANNEL)
    assert discord_sub is not None and discord_sub.waiting_for is None


class StopsMidway(Recorder):
    """A front end that stops while its delivery is in flight."""

    def __init__(self, hub: DigestHub) -> None:
        super().__init__()
        self.hub = hub

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        self.hub.poster.posters.pop("telegram")
        return await self.hub.poster.send(channel_id, content, nonce=nonce, first_id=first_id)


async def test_an_open_delivery_waits_for_its_front_end_without_using_up_retries(
    db: Database, clock: FixedClock
) -> None:
    """A delivery claimed while Telegram ran, then left open when it stopped: the sweeps
    while it is away are not failed attempts, so the period is not given up."""
    scope = Scope.telegram(TELEGRAM_CHAT)
    mod = Actor(user_id="1", name="mod", scope=scope, is_moderator=True)
    await SubscriptionService(db, clock).subscribe(
        mod, scope, TELEGRAM_CHAT, cadence="daily", post_empty=True
    )
    hub = DigestHub(db, clock)
    hub.register("telegram", StopsMidway(hub), compose)
    clock.advance(days=1)
    for _ in range(5):  # more sweeps than the retry budget's attempts
        assert [o.kind for o in await hub.engine.run_due()] == ["retry-later"]
    sub = await store.subscription_for_channel(db, TELEGRAM_CHAT)
    assert sub is not None
    (row,) = await store.deliveries(db, sub.id)
    assert row.state == "sending" and row.failures == 0
    telegram = Recorder()
    hub.register("telegram", telegram, compose)
    assert [o.kind for o in await hub.engine.run_due()] == ["sent"]
    assert len(telegram.sent) == 1


async def _both_subscribed(db: Database, clock: FixedClock) -> None:
    subs = SubscriptionService(db, clock)
    for scope, channel in (
        (Scope.discord(111111111111111111), DISCORD_CHANNEL),
        (Scope.telegram(TELEGRAM_CHAT), TELEGRAM_CHAT),
    ):
        mod = Actor(user_id="1", name="mod", scope=scope, is_moderator=True)
        await subs.subscribe(mod, scope, channel, cadence="daily", post_empty=True)


async def test_a_discord_only_and_a_telegram_only_process_each_deliver_their_own(
    db: Database, db_path: Path, clock: FixedClock
) -> None:
    """Two processes on one database, one with only DISCORD_TOKEN, one with only
    TELEGRAM_TOKEN: neither platform's digests wait for the other's process."""
    await _both_subscribed(db, clock)
    other_db = await Database.open(db_path)
    try:
        discord_hub, telegram_hub = DigestHub(db, clock), DigestHub(other_db, clock)
        discord, telegram = Recorder(), Recorder()
        discord_hub.register("discord", discord, compose)
        telegram_hub.register("telegram", telegram, compose)
        clock.advance(days=1)
        for _ in range(2):  # whichever sweeps first
            await discord_hub.engine.run_due()
            await telegram_hub.engine.run_due()
        assert [c for c, _ in discord.sent] == [DISCORD_CHANNEL]
        assert [c for c, _ in telegram.sent] == [TELEGRAM_CHAT]
    finally:
        await other_db.close()


class Blocking(Recorder):
    """A poster whose send is in flight until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        self.started.set()
        await self.release.wait()
        return await super().send(channel_id, content, nonce=nonce, first_id=first_id)


async def test_a_graceful_stop_finishes_the_part_in_flight_before_giving_up_the_lead(
    db: Database, db_path: Path, clock: FixedClock
) -> None:
    """An overlapping deploy: the new process may take over only once the old one has
    stopped sending, so the part in flight is never posted twice."""
    scope = Scope.telegram(TELEGRAM_CHAT)
    mod = Actor(user_id="1", name="mod", scope=scope, is_moderator=True)
    await SubscriptionService(db, clock).subscribe(
        mod, scope, TELEGRAM_CHAT, cadence="daily", post_empty=True
    )
    old, blocking = DigestHub(db, clock), Blocking()
    old.register("telegram", blocking, compose)
    await old.start("telegram")
    new_db = await Database.open(db_path)
    try:
        new, fresh = DigestHub(new_db, clock), Recorder()
        new.register("telegram", fresh, compose)
        clock.advance(days=1)
        sweep = asyncio.create_task(old.engine.run_due())
        await blocking.started.wait()
        stopping = asyncio.create_task(old.stop("telegram"))
        for _ in range(20):
            await asyncio.sleep(0)
        # The old process is still sending: the new one must stand by.
        assert not stopping.done()
        assert [o.kind for o in await new.engine.run_due()] == ["standby"]
        blocking.release.set()
        await stopping
        assert [o.kind for o in await sweep] == ["sent"]
        assert len(blocking.sent) == 1
        # Stopped, and the lead given up: the next period is the new process's at once.
        clock.advance(days=1)
        assert [o.kind for o in await new.engine.run_due()] == ["sent"]
        assert len(blocking.sent) == 1 and len(fresh.sent) == 1
    finally:
        await new_db.close()
