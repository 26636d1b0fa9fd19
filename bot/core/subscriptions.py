"""Subscribing channels to digests: validation, moderator rights, the next delivery time.

Only a server's moderators change its subscriptions; every refusal happens before anything
is written. Re-subscribing a channel replaces its settings and resumes it when paused.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass

from bot.core.actors import MODERATORS_MANAGE_SUBSCRIPTIONS, Actor, require_moderator
from bot.core.digests.filters import parse_filter
from bot.core.digests.schedule import (
    Occurrence,
    Schedule,
    first_run,
    next_occurrence,
    parse_cadence,
    parse_time,
    parse_timezone,
    parse_weekday,
)
from bot.core.scope_settings import ScopeSettingsService
from bot.core.topics import DEFAULT_SUBSCRIPTION_TOPICS, get_topic
from bot.domain.clock import Clock, iso_utc, system_clock
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.scope import Scope
from bot.domain.subscriptions import Subscription
from bot.i18n import gettext as _
from storage import subscriptions as store
from storage.contract import Db
from storage.subscriptions import NewSubscription

__all__ = ["MAX_TOPICS", "SubscribeResult", "Subscription", "SubscriptionService", "parse_topics"]

MAX_TOPICS = 11


def parse_topics(value: str | None) -> tuple[str, ...]:
    """Comma- or space-separated topic names to slugs (default: trilateral and all pairs)."""
    names = [n for n in re.split(r"[,\s]+", (value or "").strip()) if n]
    if not names:
        return DEFAULT_SUBSCRIPTION_TOPICS
    slugs = tuple(dict.fromkeys(get_topic(n).slug for n in names))
    if len(slugs) > MAX_TOPICS:
        raise InvalidInput("topics", _("at most {max_topics} topics").format(max_topics=MAX_TOPICS))
    return slugs


@dataclass(frozen=True)
class SubscribeResult:
    """The stored subscription, its next delivery, and whether it replaced an older one."""

    subscription: Subscription
    next_delivery: Occurrence
    replaced: bool


def check_moderator(actor: Actor, scope: Scope | None) -> Scope:
    """The scope, if the actor is asking inside it and moderates it."""
    if scope is None or actor.scope != scope:
        raise InvalidInput("where", _("use this command inside a server"))
    return require_moderator(actor, MODERATORS_MANAGE_SUBSCRIPTIONS)


class SubscriptionService:
    """/subscribe, /unsubscribe, /subscriptions and the lookups of /digest."""

    def __init__(self, db: Db, clock: Clock = system_clock, default_timezone: str = "UTC") -> None:
        self.db = db
        self.clock = clock
        self.settings = ScopeSettingsService(db, clock, default_timezone)

    async def subscribe(
        self,
        actor: Actor,
        scope: Scope | None,
        channel_id: int,
        *,
        topics: str | None = None,
        cadence: str | None = None,
        weekday: str | None = None,
        at: str | None = None,
        timezone: str | None = None,
        post_empty: bool = False,
        include: str | None = None,
        exclude: str | None = None,
        domains: str | None = None,
    ) -> SubscribeResult:
        """Create or replace the channel's subscription (with its digest filter: words to
        include and exclude, and domains; empty keeps everything)."""
        home = check_moderator(actor, scope)
        slugs = parse_topics(topics)
        digest_filter = parse_filter(include, exclude, domains)
        zone_default = await self.settings.timezone(home)
        schedule = Schedule(
            cadence=parse_cadence(cadence),
            weekday=parse_weekday(weekday),
            at=parse_time(at),
            timezone=parse_timezone(timezone, zone_default),
        )
        existing = await store.subscription_for_channel(self.db, channel_id)
        if existing is not None and existing.scope != home:
            raise NotFound(_("There is no such channel in this server."))
        now = self.clock()
        async with self.db.transaction() as w:
            occ = first_run(schedule, now)
            # A period delivered before (e.g. by send-now) is never delivered again.
            while await store.get_delivery(w, existing.id if existing else 0, occ.period):
                occ = next_occurrence(schedule, occ.at)
            sub_id = await store.upsert_subscription(
                w,
                NewSubscription(
                    scope=home,
                    channel_id=channel_id,
                    topics=slugs,
                    schedule=schedule,
                    post_empty=post_empty,
                    actor=actor.label,
                    at=iso_utc(now),
                    next_run=occ.at,
                    digest_filter=digest_filter,
                ),
            )
            sub = await store.get_subscription(w, sub_id)
        assert sub is not None
        return SubscribeResult(sub, occ, replaced=existing is not None)

    async def unsubscribe(self, actor: Actor, scope: Scope | None, channel_id: int) -> Subscription:
        """Remove the channel's subscription (and its ledger)."""
        sub = await self.for_channel(actor, scope, channel_id)
        async with self.db.transaction() as w:
            await store.delete_subscription(w, sub.id)
        return sub

    async def list(self, actor: Actor, scope: Scope | None) -> list[Subscription]:
        """The server's subscriptions."""
        home = check_moderator(actor, scope)
        return await store.scope_subscriptions(self.db, home)

    async def for_channel(self, actor: Actor, scope: Scope | None, channel_id: int) -> Subscription:
        """The channel's subscription, for a moderator of its server."""
        home = check_moderator(actor, scope)
        sub = await store.subscription_for_channel(self.db, channel_id)
        if sub is None or sub.scope != home:
            raise NotFound(
                _("That channel has no digest subscription. Create one with /subscribe.")
            )
        return sub

    async def of_channel(self, channel_id: int) -> Subscription | None:
        """The channel's subscription, if any (no rights checked: for the front end's own
        bookkeeping, never shown to a user as is)."""
        return await store.subscription_for_channel(self.db, channel_id)

    async def pause_channel(self, channel_id: int, reason: str) -> Subscription | None:
        """Pause the channel's active subscription (the platform said the channel is gone)."""
        sub = await self.of_channel(channel_id)
        if sub is None or not sub.active:
            return None
        await self._pause([sub], reason)
        return sub

    async def pause_scope(self, scope: Scope, reason: str) -> builtins.list[Subscription]:
        """Pause every active subscription of a scope (the bot left the server or chat)."""
        subs = [s for s in await store.scope_subscriptions(self.db, scope) if s.active]
        await self._pause(subs, reason)
        return subs

    async def _pause(self, subs: builtins.list[Subscription], reason: str) -> None:
        if not subs:
            return
        at = iso_utc(self.clock())
        async with self.db.transaction() as w:
            for sub in subs:
                await store.pause_subscription(w, sub.id, reason, at)
