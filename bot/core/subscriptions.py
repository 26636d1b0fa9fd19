"""Subscribing channels to digests: validation, moderator rights, the next delivery time.

Only a server's moderators change its subscriptions; every refusal happens before anything
is written. Re-subscribing a channel replaces its settings and resumes it when paused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.core.actors import Actor
from bot.core.clock import Clock, iso_utc, system_clock
from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.schedule import (
    Occurrence,
    Schedule,
    first_run,
    next_occurrence,
    parse_cadence,
    parse_time,
    parse_timezone,
    parse_weekday,
)
from bot.core.topics import DEFAULT_SUBSCRIPTION_TOPICS, get_topic
from bot.domain.subscriptions import Subscription
from storage import subscriptions as store
from storage.database import Database
from storage.settings import get_guild_settings
from storage.subscriptions import NewSubscription

MAX_TOPICS = 11


def parse_topics(value: str | None) -> tuple[str, ...]:
    """Comma- or space-separated topic names to slugs (default: trilateral and all pairs)."""
    names = [n for n in re.split(r"[,\s]+", (value or "").strip()) if n]
    if not names:
        return DEFAULT_SUBSCRIPTION_TOPICS
    slugs = tuple(dict.fromkeys(get_topic(n).slug for n in names))
    if len(slugs) > MAX_TOPICS:
        raise InvalidInput("topics", f"at most {MAX_TOPICS} topics")
    return slugs


@dataclass(frozen=True)
class SubscribeResult:
    """The stored subscription, its next delivery, and whether it replaced an older one."""

    subscription: Subscription
    next_delivery: Occurrence
    replaced: bool


def check_moderator(actor: Actor, guild_id: int | None) -> int:
    """The guild id, if the actor moderates it."""
    if guild_id is None or actor.guild_id != guild_id:
        raise InvalidInput("where", "use this command inside a server")
    if not actor.is_moderator:
        raise PermissionDenied(
            "Only this server's moderators (Manage Server, or the moderator role set with "
            "/settings) can manage digest subscriptions."
        )
    return guild_id


class SubscriptionService:
    """/subscribe, /unsubscribe, /subscriptions and the lookups of /digest."""

    def __init__(
        self, db: Database, clock: Clock = system_clock, default_timezone: str = "UTC"
    ) -> None:
        self.db = db
        self.clock = clock
        self.default_timezone = default_timezone

    async def subscribe(
        self,
        actor: Actor,
        guild_id: int | None,
        channel_id: int,
        *,
        topics: str | None = None,
        cadence: str | None = None,
        weekday: str | None = None,
        at: str | None = None,
        timezone: str | None = None,
        post_empty: bool = False,
    ) -> SubscribeResult:
        """Create or replace the channel's subscription."""
        guild = check_moderator(actor, guild_id)
        slugs = parse_topics(topics)
        settings = await get_guild_settings(self.db, guild)
        zone_default = settings.timezone or self.default_timezone
        schedule = Schedule(
            cadence=parse_cadence(cadence),
            weekday=parse_weekday(weekday),
            at=parse_time(at),
            timezone=parse_timezone(timezone, zone_default),
        )
        existing = await store.subscription_for_channel(self.db, channel_id)
        if existing is not None and existing.guild_id != guild:
            raise NotFound("There is no such channel in this server.")
        now = self.clock()
        async with self.db.transaction() as w:
            occ = first_run(schedule, now)
            # A period delivered before (e.g. by send-now) is never delivered again.
            while await store.get_delivery(w, existing.id if existing else 0, occ.period):
                occ = next_occurrence(schedule, occ.at)
            sub_id = await store.upsert_subscription(
                w,
                NewSubscription(
                    guild_id=guild,
                    channel_id=channel_id,
                    topics=slugs,
                    schedule=schedule,
                    post_empty=post_empty,
                    actor=actor.label,
                    at=iso_utc(now),
                    next_run=occ.at,
                ),
            )
            sub = await store.get_subscription(w, sub_id)
        assert sub is not None
        return SubscribeResult(sub, occ, replaced=existing is not None)

    async def unsubscribe(
        self, actor: Actor, guild_id: int | None, channel_id: int
    ) -> Subscription:
        """Remove the channel's subscription (and its ledger)."""
        sub = await self.for_channel(actor, guild_id, channel_id)
        async with self.db.transaction() as w:
            await store.delete_subscription(w, sub.id)
        return sub

    async def list(self, actor: Actor, guild_id: int | None) -> list[Subscription]:
        """The server's subscriptions."""
        guild = check_moderator(actor, guild_id)
        return await store.guild_subscriptions(self.db, guild)

    async def for_channel(
        self, actor: Actor, guild_id: int | None, channel_id: int
    ) -> Subscription:
        """The channel's subscription, for a moderator of its server."""
        guild = check_moderator(actor, guild_id)
        sub = await store.subscription_for_channel(self.db, channel_id)
        if sub is None or sub.guild_id != guild:
            raise NotFound("That channel has no digest subscription. Create one with /subscribe.")
        return sub


def next_delivery_local(sub: Subscription) -> datetime | None:
    """The next delivery in the subscription's own zone."""
    if sub.next_run is None:
        return None
    return sub.schedule.local(sub.next_run)
