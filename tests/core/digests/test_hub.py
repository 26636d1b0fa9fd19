"""The process's one digest engine routes each subscription to its platform; a platform
whose front end is not running keeps its digests waiting (never paused, never skipped)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.actors import Actor
from bot.core.digests.hub import DigestHub, platform_of_channel
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from storage import subscriptions as store
from storage.database import Database
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
    assert sorted(outcomes.values()) == ["retry-later", "sent"]
    # The engine adds the delivery's reference to each part (how a resume recognises it).
    assert [(c, t.split(" · ref ")[0]) for c, t in telegram.sent] == [(TELEGRAM_CHAT, "a digest")]
    discord_sub = await store.subscription_for_channel(db, DISCORD_CHANNEL)
    assert discord_sub is not None and discord_sub.active  # waiting, not paused
    discord = Recorder()
    hub.register("discord", discord, compose)
    outcomes = {o.subscription_id: o.kind for o in await hub.engine.run_due()}
    assert list(outcomes.values()) == ["sent"]
    assert [(c, t.split(" · ref ")[0]) for c, t in discord.sent] == [(DISCORD_CHANNEL, "a digest")]


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
