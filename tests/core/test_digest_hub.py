"""The process's one digest engine routes each subscription to its platform; a platform
whose front end is not running keeps its digests waiting (never paused, never skipped)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.actors import Actor
from bot.core.digest_hub import DigestHub, platform_of_channel
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
