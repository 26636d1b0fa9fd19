"""Digest content: what a subscription's topics did during one window, rendered in parts.

Developments published, changed or retracted in the window are grouped by the first of the
subscription's topics they belong to (so none appears twice), new before updated, with
retractions noted; assessments set in the window follow. How a digest becomes messages
(parts, markers, nonces) is in `bot.core.digests.parts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot import i18n
from bot.core.digests.filters import filter_digest
from bot.core.digests.parts import render_parts
from bot.core.digests.schedule import DuePlan, Schedule, first_run, plan_now, window_label
from bot.core.rendering import Renderer
from bot.core.scope_settings import language_of
from bot.core.topics import DEFAULT_SUBSCRIPTION_TOPICS, Topic, get_topic
from bot.domain.clock import iso_utc
from bot.domain.errors import NotFound
from bot.domain.models import Assessment, Development
from bot.domain.scope import Scope
from bot.domain.subscriptions import Subscription
from storage import assessments as assessment_queries
from storage import catalogue as queries
from storage.contract import Db
from storage.subscriptions import subscription_for_channel

MAX_ITEMS = 40


@dataclass
class DigestSection:
    """One topic's developments in the window."""

    topic: Topic
    new: list[Development] = field(default_factory=list)
    updated: list[Development] = field(default_factory=list)
    retracted: list[Development] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Items in the section."""
        return len(self.new) + len(self.updated) + len(self.retracted)


@dataclass
class Digest:
    """Everything a digest shows, ready for a template."""

    subscription: Subscription
    period: str
    period_label: str
    window_start: str
    window_end: str
    folded: tuple[str, ...]
    sections: list[DigestSection]
    assessments: list[tuple[Topic, Assessment]]
    omitted: int = 0

    @property
    def is_empty(self) -> bool:
        """Nothing happened on the subscription's topics in the window."""
        return not self.sections and not self.assessments

    @property
    def topics(self) -> list[Topic]:
        """The subscription's topics."""
        return [get_topic(slug) for slug in self.subscription.topics]

    @property
    def cadence_label(self) -> str:
        """'weekly' or 'daily'."""
        return self.subscription.schedule.cadence


def _classify(dev: Development, start: str) -> str:
    if dev.retracted:
        return "retracted"
    # Bundled starter data is not news when loaded; an edit of it is an update.
    return "new" if dev.created_at >= start and not dev.seed_key else "updated"


@dataclass(frozen=True)
class WindowChanges:
    """What changed in one window on every topic and in every scope: the one read that all
    the digests of a period share (each subscription then takes its part of it)."""

    start: str
    end: str
    # In digest order: most important first, then oldest, then by id.
    developments: tuple[Development, ...]
    assessments: tuple[Assessment, ...]  # newest first

    @property
    def own_scopes(self) -> frozenset[Scope]:
        """The scopes with developments or assessments of their own in the window: a
        subscription of any other scope gets the same digest as the global catalogue's."""
        devs = {d.scope for d in self.developments if d.scope is not None}
        return frozenset(devs | {a.scope for a in self.assessments if a.scope is not None})


async def read_window(db: Db, start: str, end: str) -> WindowChanges:
    """The shared read of a window [start, end) (ISO UTC strings)."""
    devs = await queries.changed_in_period(db, start, end)
    devs.sort(key=lambda d: (-d.importance, d.occurred.start, d.id))
    assessments = await assessment_queries.assessments_set_between(db, start, end)
    return WindowChanges(start, end, tuple(devs), tuple(assessments))


def window_of(plan: DuePlan) -> tuple[str, str]:
    """A plan's window as the ISO UTC strings the rows are stamped with."""
    return iso_utc(plan.window_start), iso_utc(plan.window_end)


def digest_from_window(changes: WindowChanges, sub: Subscription, plan: DuePlan) -> Digest:
    """A subscription's digest: its topics and scope's part of a window's changes (pure)."""
    start = changes.start
    topics = [get_topic(slug) for slug in sub.topics]
    slugs = [t.slug for t in topics]
    sections = {t.slug: DigestSection(t) for t in topics}
    shown = 0
    omitted = 0
    for dev in changes.developments:
        if dev.scope is not None and dev.scope != sub.scope:
            continue  # another scope's own development
        home = next((slug for slug in slugs if slug in dev.topics), None)
        if home is None or (dev.seed_key and dev.created_at == dev.updated_at):
            continue  # other topics only, or the bundled starter data as first loaded
        if shown >= MAX_ITEMS:
            omitted += 1
            continue
        shown += 1
        getattr(sections[home], _classify(dev, start)).append(dev)
    for section in sections.values():
        for items in (section.new, section.updated, section.retracted):
            items.sort(key=lambda d: (d.occurred.start, d.id), reverse=True)
    latest: dict[str, Assessment] = {}
    for a in changes.assessments:
        if a.topic not in sections or (a.scope is not None and a.scope != sub.scope):
            continue
        current = latest.get(a.topic)
        # The server's own assessment wins over the global one, then the newest.
        if current is None or (current.scope is None and a.scope is not None):
            latest[a.topic] = a
    digest = Digest(
        subscription=sub,
        period=plan.period,
        period_label=window_label(sub.schedule, plan.window_start, plan.window_end),
        window_start=start,
        window_end=changes.end,
        folded=plan.folded,
        sections=[s for s in sections.values() if s.count],
        assessments=[(t, latest[t.slug]) for t in topics if t.slug in latest],
        omitted=omitted,
    )
    # Per subscription, after the read its topics share.
    return filter_digest(digest, sub.digest_filter)


async def compose_digest(db: Db, sub: Subscription, plan: DuePlan) -> Digest:
    """Collect a subscription's digest for a plan's window (from storage, no rendering)."""
    return digest_from_window(await read_window(db, *window_of(plan)), sub, plan)


def content_key(digest: Digest) -> tuple[object, ...]:
    """What a digest's rendering depends on: equal keys render to the same text (within one
    window read, where a development id stands for its content)."""
    return (
        digest.period,
        digest.period_label,
        digest.cadence_label,
        digest.window_start,
        digest.window_end,
        digest.folded,
        digest.subscription.topics,
        digest.subscription.digest_filter,  # the digest names its filter
        tuple(
            (s.topic.slug, *(tuple(d.id for d in ds) for ds in (s.new, s.updated, s.retracted)))
            for s in digest.sections
        ),
        tuple((t.slug, a.id) for t, a in digest.assessments),
        digest.omitted,
    )


@dataclass
class _WindowEntry:
    changes: WindowChanges
    read_at: float
    seen: tuple[object, ...]  # the window's fingerprint when it was read
    renders: dict[tuple[object, ...], list[str]] = field(default_factory=dict)
    own_scopes: frozenset[Scope] = frozenset()
    # What a subscription's digest depends on (see `_sharing_key`) → its parts ([] = an
    # empty digest, skipped unless the subscription posts empty ones).
    built: dict[tuple[object, ...], tuple[bool, list[str]]] = field(default_factory=dict)
    languages: dict[Scope | None, str | None] = field(default_factory=dict)


class DigestBuilder:
    """The delivery engine's composer: a plan in, the messages to post out ([] = skip).

    All the subscriptions due at one instant share a window: it is read once and each
    distinct digest (topics, scope's own rows, assessments) rendered once, then reused for
    WINDOW_TTL_S, so a fan-out of thousands of digests costs one read and a few renders.
    Subscriptions with equal `_sharing_key`s (most of a fan-out) share the digest itself,
    chosen and filtered once; a scope's language is read once per window read (a change
    shows in the next read: a changed window, or after WINDOW_TTL_S).
    """

    WINDOW_TTL_S = 60.0  # rows edited after the read show up in a build after this long
    # ... or at once when the window's fingerprint changed (the engine's re-check after a
    # writer committed during composing must get a fresh read, not this cache).
    WINDOWS_KEPT = 4

    def __init__(
        self,
        db: Db,
        renderer: Renderer,
        render: Callable[[Renderer, Digest], list[str]] = render_parts,
    ) -> None:
        self.db = db
        self.renderer = renderer
        self.render = render  # a digest's messages on the platform (Discord's by default)
        self._windows: dict[tuple[str, str], _WindowEntry] = {}

    async def _window(self, plan: DuePlan) -> _WindowEntry:
        key = window_of(plan)
        now = time.monotonic()
        entry = self._windows.get(key)
        seen = await queries.window_fingerprint(self.db, *key)
        if entry is None or now - entry.read_at > self.WINDOW_TTL_S or entry.seen != seen:
            changes = await read_window(self.db, *key)
            entry = _WindowEntry(changes, now, seen, own_scopes=changes.own_scopes)
            self._windows.pop(key, None)
            self._windows[key] = entry
            while len(self._windows) > self.WINDOWS_KEPT:
                del self._windows[next(iter(self._windows))]
        return entry

    async def __call__(self, sub: Subscription, plan: DuePlan) -> list[str]:
        entry = await self._window(plan)
        # Read once per scope and window read: a server's channels share it.
        if sub.scope not in entry.languages:
            entry.languages[sub.scope] = await scope_language(self.db, sub)
        with i18n.use_locale(entry.languages[sub.scope]):
            shared = _sharing_key(sub, plan, entry.own_scopes)
            built = entry.built.get(shared)
            if built is None:
                digest = digest_from_window(entry.changes, sub, plan)
                # The same content renders differently per language: the locale is in the key.
                key = (i18n.current.get(), *content_key(digest))
                parts = entry.renders.get(key)
                if parts is None:
                    parts = entry.renders[key] = self.render(self.renderer, digest)
                built = entry.built[shared] = (digest.is_empty, parts)
            empty, parts = built
            if empty and not sub.post_empty:
                return []
            return list(parts)


def _sharing_key(
    sub: Subscription, plan: DuePlan, own_scopes: frozenset[Scope]
) -> tuple[object, ...]:
    """Everything a subscription's digest (and its text) depends on besides the window and
    the language: subscriptions with equal keys get the same digest, so it is chosen,
    filtered and rendered once for all of them. The scope counts only when it has rows or
    assessments of its own in the window."""
    scope = sub.scope if sub.scope in own_scopes else None
    return (
        i18n.current.get(),
        sub.topics,
        scope,
        sub.digest_filter,
        sub.schedule,
        plan.period,
        plan.folded,
    )


async def scope_language(db: Db, sub: Subscription) -> str | None:
    """The language a subscription's server or chat set (`/settings language`): a digest
    is a post to everyone there, so it speaks the place's language, not a person's."""
    return await language_of(db, sub.scope)


async def preview_text(
    db: Db,
    renderer: Renderer,
    now: datetime,
    *,
    channel_id: int | None = None,
    default_timezone: str = "UTC",
) -> str:
    """`briefbot digest preview`: what a channel's subscription would get now, or (without a
    channel) what a default weekly subscription would get from the global catalogue."""
    if channel_id is not None:
        sub = await subscription_for_channel(db, channel_id)
        if sub is None:
            raise NotFound(f"channel {channel_id} has no digest subscription")
    else:
        schedule = Schedule(timezone=default_timezone)
        sub = Subscription(
            id=0,
            guild_id=0,
            channel_id=0,
            topics=DEFAULT_SUBSCRIPTION_TOPICS,
            schedule=schedule,
            post_empty=True,
            status="active",
            paused_reason=None,
            created_by="cli",
            created_at=iso_utc(now),
            next_run=first_run(schedule, now).at,
            last_period=None,
            last_delivered_at=None,
            covered_until=None,
        )
    plan = plan_now(
        sub.schedule, next_run=sub.next_run or now, covered_until=sub.covered_until, now=now
    )
    digest = await compose_digest(db, sub, plan)
    return renderer.render("digest.j2", digest=digest)
