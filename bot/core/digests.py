"""Digest content: what a subscription's topics did during one window, rendered in parts.

Developments published, changed or retracted in the window are grouped by the first of the
subscription's topics they belong to (so none appears twice), new before updated, with
retractions noted; assessments set in the window follow. The Discord rendering is split
into messages under 2,000 characters, each ending in a marker line that names the period
and the part; the delivery engine adds its delivery's unique reference to the marker when it
claims the period, which is how a restarted delivery recognises a part already posted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.clock import iso_utc
from bot.core.errors import NotFound
from bot.core.models import Assessment, Development
from bot.core.rendering import Renderer
from bot.core.schedule import DuePlan, Schedule, first_run, period_label, plan_now
from bot.core.text import split_text
from bot.core.topics import DEFAULT_SUBSCRIPTION_TOPICS, Topic, get_topic
from bot.domain.subscriptions import Subscription
from storage import assessments as assessment_queries
from storage import catalogue as queries
from storage.database import Database
from storage.subscriptions import subscription_for_channel

CONTENT_MAX = 2000
MARKER_ROOM = 80
MAX_ITEMS = 40
NONCE_MAX = 25


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


async def compose_digest(db: Database, sub: Subscription, plan: DuePlan) -> Digest:
    """Collect a subscription's digest for a plan's window (from storage, no rendering)."""
    start, end = iso_utc(plan.window_start), iso_utc(plan.window_end)
    topics = [get_topic(slug) for slug in sub.topics]
    slugs = [t.slug for t in topics]
    changed = await queries.changed_between(db, slugs, sub.guild_id, start, end)
    sections = {t.slug: DigestSection(t) for t in topics}
    shown = 0
    omitted = 0
    for dev in sorted(changed, key=lambda d: (-d.importance, d.occurred.start, d.id)):
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
    for a in await assessment_queries.changed_assessments(db, slugs, sub.guild_id, start, end):
        current = latest.get(a.topic)
        # The server's own assessment wins over the global one, then the newest.
        if current is None or (current.guild_id is None and a.guild_id is not None):
            latest[a.topic] = a
    return Digest(
        subscription=sub,
        period=plan.period,
        period_label=period_label(sub.schedule, plan.period),
        window_start=start,
        window_end=end,
        folded=plan.folded,
        sections=[s for s in sections.values() if s.count],
        assessments=[(t, latest[t.slug]) for t in topics if t.slug in latest],
        omitted=omitted,
    )


def marker(digest_period: str, part: int, total: int) -> str:
    """The last line of every posted part: names the period and the part (never a ping)."""
    return f"-# Trilateral Brief digest · {digest_period} · part {part}/{total}"


def with_reference(part: str, reference: str) -> str:
    """A rendered part whose marker line also names its delivery (unique per ledger row), so
    a message of an earlier delivery of the same period is never taken for this one."""
    return f"{part} · ref {reference}"


def nonce_for(reference: str, part: int) -> str:
    """Deterministic Discord nonce per (delivery, part), at most 25 characters."""
    return _short(f"dr{reference}.{part}")


def legacy_nonce(subscription_id: int, period: str, part: int) -> str:
    """The nonce of a delivery claimed before 004 (it has no reference)."""
    return _short(f"dg{subscription_id}.{period}.{part}")


def _short(text: str) -> str:
    if len(text) <= NONCE_MAX:
        return text
    return "dg" + hashlib.sha256(text.encode()).hexdigest()[: NONCE_MAX - 2]


def render_parts(renderer: Renderer, digest: Digest, limit: int = CONTENT_MAX) -> list[str]:
    """The Discord messages of a digest, each within `limit` and ending in its marker."""
    text = renderer.render("digest.j2", digest=digest)
    chunks = split_text(text, limit - MARKER_ROOM)
    total = len(chunks)
    return [
        f"{chunk}\n{marker(digest.period, number, total)}"
        for number, chunk in enumerate(chunks, start=1)
    ]


class DigestBuilder:
    """The delivery engine's composer: a plan in, the messages to post out ([] = skip)."""

    def __init__(self, db: Database, renderer: Renderer) -> None:
        self.db = db
        self.renderer = renderer

    async def __call__(self, sub: Subscription, plan: DuePlan) -> list[str]:
        digest = await compose_digest(self.db, sub, plan)
        if digest.is_empty and not sub.post_empty:
            return []
        return render_parts(self.renderer, digest)


def describe_window(start: datetime, end: datetime) -> str:
    """'2025-03-03 09:00 – 2025-03-10 09:00 UTC' for logs and the terminal."""
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"


async def preview_text(
    db: Database,
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
