"""One digest engine and one scheduler per process, whatever front ends run.

Each front end registers its platform's poster (how to send a part) and composer (how to
render a digest for it); deliveries are routed by platform. The scheduler starts with the
first front end and stops with the last.

The engine leads delivery per platform (one process at a time for each, see
`bot.core.digests.leadership`), only for the platforms whose front end runs here: Telegram's
30 messages a second are per bot like Discord's 50 requests, so one sending process per
platform keeps both limits, and a Discord-only and a Telegram-only process on one database
each deliver their own. The engine's pacer (Discord's limits, the tighter per channel) paces
every part; Telegram's poster adds its own bucket under Telegram's overall limit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.digests.delivery import Composer, DeliveryEngine, FrontEndDown, Poster
from bot.core.digests.schedule import DuePlan
from bot.core.digests.scheduler import DigestScheduler
from bot.core.subscriptions import Subscription
from bot.domain.clock import Clock
from bot.domain.scope import Platform
from storage.contract import Db

log = logging.getLogger(__name__)

#: Discord channel snowflakes are above 10^16, Telegram chat ids below 10^13 in magnitude
#: (migration 005 relies on the same fact to keep channel_id unique across platforms).
DISCORD_MIN_ID = 10**15


def platform_of_channel(channel_id: int) -> Platform:
    """Which platform a channel or chat id belongs to."""
    return "discord" if abs(channel_id) >= DISCORD_MIN_ID else "telegram"


class RoutedPoster:
    """A Poster that hands each part to its platform's poster."""

    def __init__(self) -> None:
        self.posters: dict[Platform, Poster] = {}

    def _poster(self, channel_id: int) -> Poster:
        platform = platform_of_channel(channel_id)
        poster = self.posters.get(platform)
        if poster is None:
            # Not paused: the period waits for that front end to run again.
            raise FrontEndDown(f"the {platform} front end is not running")
        return poster

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        """Send through the channel's platform."""
        poster = self._poster(channel_id)
        return await poster.send(channel_id, content, nonce=nonce, first_id=first_id)

    async def find(
        self,
        channel_id: int,
        marker: str,
        *,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
        first_id: int | None = None,
    ) -> int | None:
        """Look through the channel's platform."""
        poster = self._poster(channel_id)
        return await poster.find(channel_id, marker, after=after, pace=pace, first_id=first_id)


class RoutedComposer:
    """A Composer that renders each subscription for its platform."""

    def __init__(self) -> None:
        self.composers: dict[Platform, Composer] = {}

    async def __call__(self, sub: Subscription, plan: DuePlan) -> list[str]:
        composer = self.composers.get(sub.platform)
        if composer is None:
            raise FrontEndDown(f"the {sub.platform} front end is not running")
        return await composer(sub, plan)


class DigestHub:
    """The process's delivery engine and scheduler, shared by the front ends."""

    def __init__(self, db: Db, clock: Clock) -> None:
        self.poster = RoutedPoster()
        self.composer = RoutedComposer()
        self.engine = DeliveryEngine(db, self.poster, self.composer, clock, platforms=set())
        self.scheduler = DigestScheduler(self.engine, db, clock)
        self._front_ends: set[Platform] = set()

    def register(self, platform: Platform, poster: Poster, composer: Composer) -> None:
        """A front end's way of posting and rendering digests: this process sends that
        platform's digests (leading them when no other live process does)."""
        self.poster.posters[platform] = poster
        self.composer.composers[platform] = composer
        self.engine.serve(platform)

    async def start(self, platform: Platform) -> None:
        """Start the scheduler with the first front end."""
        self._front_ends.add(platform)
        self.engine.open()  # this process is alive for the other processes' takeovers
        if not self.scheduler.running:
            await self.scheduler.start()
            log.info("digest scheduler started by %s", platform)

    async def stop(self, platform: Platform) -> None:
        """Forget a front end: first stop sending to its platform (the parts in flight
        finish), then give up its lead; the last one stops the scheduler and the liveness
        lock. In that order, a process taking over never re-sends a part in flight."""
        self._front_ends.discard(platform)
        if not self._front_ends:
            self.scheduler.shutdown()  # no new jobs; the running ones finish below
        await self.engine.stop_sending(platform)
        self.poster.posters.pop(platform, None)
        self.composer.composers.pop(platform, None)
        if not self._front_ends:
            await self.engine.aclose()  # give up the liveness lock: another may take over
