"""Brief composition: bottom line first, then key developments, why it matters, indicators,
context, what to watch and numbered sources, as CFR/CrisisWatch/Axios would lay it out."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.core.topics import Topic, get_topic
from bot.domain.clock import Clock, system_clock, today
from bot.domain.errors import InvalidInput
from bot.domain.models import DOMAINS, Assessment, Development, Source
from bot.domain.scope import Scope
from bot.domain.wording import N_
from bot.i18n import gettext as _
from storage import catalogue as queries
from storage.contract import Db, Row

PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "1y": 365, "all": None}
PERIOD_LABELS = {
    "7d": N_("last 7 days"),
    "30d": N_("last 30 days"),
    "90d": N_("last 90 days"),
    "1y": N_("last year"),
    "all": N_("all time"),
}
KEY_LIMIT = 6
INDICATOR_LIMIT = 4
CONTEXT_LIMIT = 4
WHY_LIMIT = 3
UPCOMING_LIMIT = 5
CANDIDATES = 200
COUNT_CAP = 1000  # a brief says "1000+ developments" rather than count a huge topic


def parse_period(value: str | None) -> str:
    """One of 7d, 30d, 90d, 1y, all (default all)."""
    text = (value or "all").strip().lower()
    if text not in PERIODS:
        raise InvalidInput("period", _("must be one of {value}").format(value=", ".join(PERIODS)))
    return text


def period_start(period: str, on: date) -> date | None:
    """The first day a period covers, or None for all time."""
    days = PERIODS[period]
    return None if days is None else on - timedelta(days=days)


def parse_domain(value: str | None) -> str | None:
    """A domain name or None."""
    if not value:
        return None
    text = value.strip().lower()
    if text not in DOMAINS:
        raise InvalidInput("domain", _("must be one of {value}").format(value=", ".join(DOMAINS)))
    return text


@dataclass(frozen=True)
class BriefItem:
    """A development as a brief lists it, with the numbers of its sources."""

    development: Development
    source_numbers: tuple[int, ...]


@dataclass
class Brief:
    """Everything a brief shows, ready for a template."""

    topic: Topic
    period: str
    domain: str | None
    on: date
    as_of: date | None
    assessment: Assessment | None
    key: list[BriefItem] = field(default_factory=list)
    why: list[BriefItem] = field(default_factory=list)
    indicators: list[BriefItem] = field(default_factory=list)
    context: list[BriefItem] = field(default_factory=list)
    upcoming: list[BriefItem] = field(default_factory=list)
    sources: list[tuple[int, Source]] = field(default_factory=list)
    total: int = 0
    #: When nothing matched: the shortest wider period (and the domain, kept or dropped)
    #: that would show something; None when nothing at all is recorded.
    suggestion: tuple[str, str | None] | None = None

    @property
    def period_label(self) -> str:
        """'last 30 days', 'all time' …"""
        return PERIOD_LABELS[self.period]

    @property
    def suggestion_label(self) -> str:
        """The suggested period's name ('last 90 days'), or '' without a suggestion."""
        return PERIOD_LABELS[self.suggestion[0]] if self.suggestion else ""

    @property
    def total_label(self) -> str:
        """'12', or '1000+' when the count stopped at its cap."""
        return f"{self.total}+" if self.total >= COUNT_CAP else str(self.total)

    @property
    def is_empty(self) -> bool:
        """No developments at all in the selection."""
        return self.total == 0


class _SourceNumbering:
    def __init__(self) -> None:
        self.numbers: dict[tuple[str, str | None, str | None], int] = {}
        self.sources: list[tuple[int, Source]] = []

    def item(self, dev: Development) -> BriefItem:
        numbers = []
        for source in dev.sources:
            key = (source.title, source.url, source.publisher)
            if key not in self.numbers:
                self.numbers[key] = len(self.numbers) + 1
                self.sources.append((self.numbers[key], source))
            numbers.append(self.numbers[key])
        return BriefItem(dev, tuple(numbers))


def _rank(rows: Sequence[Row]) -> list[Row]:
    """Most important first, then most recent (then the highest id)."""
    return sorted(rows, key=lambda r: (r["importance"], r["occurred_on"], r["id"]), reverse=True)


def _newest_first(rows: Sequence[Row]) -> list[Row]:
    """The order a reader can see: by date, newest first (then the highest id)."""
    return sorted(rows, key=lambda r: (r["occurred_on"], r["id"]), reverse=True)


async def _suggest(
    db: Db, slug: str, scope: Scope | None, period: str, domain: str | None, on: date
) -> tuple[str, str | None] | None:
    """The shortest period wider than `period` that has something, keeping the domain; then
    the same without the domain. Never the selection already in use."""
    keys = list(PERIODS)
    tries = [(p, domain) for p in keys[keys.index(period) + 1 :]]
    if domain is not None:
        tries += [(p, None) for p in keys[keys.index(period) :]]
    for wider, wider_domain in tries:
        since = period_start(wider, on)
        found = await queries.count_topic(
            db, slug, scope, since=since, until=None, domain=wider_domain, cap=1
        )
        if found:
            return wider, wider_domain
    return None


def _choose(rows: Sequence[Row], today_iso: str) -> list[list[Row]]:
    """The rows a brief shows, by section: key events, indicators, context, upcoming."""
    past = [r for r in rows if r["occurred_on"] <= today_iso]
    upcoming = sorted(
        (r for r in rows if r["occurred_on"] > today_iso),
        key=lambda r: (r["occurred_on"], r["date_precision"]),
    )
    return [
        # The most important events, shown newest first (the brief says so).
        _newest_first(_rank([r for r in past if r["kind"] == "event"])[:KEY_LIMIT]),
        [r for r in past if r["kind"] == "indicator"][:INDICATOR_LIMIT],
        _rank([r for r in past if r["kind"] == "analysis"])[:CONTEXT_LIMIT],
        upcoming[:UPCOMING_LIMIT],
    ]


async def compose_brief(
    db: Db,
    topic_name: str,
    scope: Scope | None,
    *,
    period: str | None = None,
    domain: str | None = None,
    clock: Clock = system_clock,
) -> Brief:
    """Build the brief of a topic for a scope (global + its own developments)."""
    topic = get_topic(topic_name)
    period_key = parse_period(period)
    domain_key = parse_domain(domain)
    on = today(clock)
    since = period_start(period_key, on)
    # Choose from the rows (newest first) and build objects only for the ~20 shown; the
    # rows, the assessment, the sources shown and the count are read in one trip.
    today_iso = on.isoformat()
    reads = await queries.read_brief(
        db,
        topic.slug,
        scope,
        since=since,
        domain=domain_key,
        limit=CANDIDATES,
        count_cap=COUNT_CAP,  # more may match than were read: count them (up to the cap)
        choose=functools.partial(_choose, today_iso=today_iso),
    )
    numbering = _SourceNumbering()
    total = reads.total
    brief = Brief(topic, period_key, domain_key, on, None, reads.assessment, total=total)
    items = [[numbering.item(dev) for dev in section] for section in reads.shown]
    brief.key, brief.indicators, brief.context, brief.upcoming = items
    brief.why = [i for i in brief.key if i.development.why_it_matters][:WHY_LIMIT]
    brief.sources = numbering.sources
    # "As of" the latest development recorded, not the time rows were written.
    latest = max(
        (r["occurred_on"] for r in reads.rows if r["occurred_on"] <= today_iso), default=None
    )
    brief.as_of = None if latest is None else date.fromisoformat(latest)
    if total == 0:
        brief.suggestion = await _suggest(db, topic.slug, scope, period_key, domain_key, on)
    return brief
