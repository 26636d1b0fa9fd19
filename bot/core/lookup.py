"""Timelines and search: the read paths besides the brief."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.topics import Topic, get_topic
from bot.core.validation import parse_fuzzy_date
from bot.domain.errors import InvalidInput
from bot.domain.models import Development
from bot.domain.scope import Scope
from bot.i18n import gettext as _
from storage import catalogue as queries
from storage.contract import Db
from storage.search_query import MAX_QUERY_CHARS, query_terms

TIMELINE_MAX = 1000
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class Timeline:
    """A topic's developments in date order between two dates (without their sources:
    nothing a timeline shows needs them)."""

    topic: Topic
    start: date | None
    end: date | None
    developments: list[Development]
    total: int

    @property
    def truncated(self) -> bool:
        """More developments matched than the timeline holds."""
        return self.total > len(self.developments)


@dataclass(frozen=True)
class SearchHit:
    """A search result: the development and a snippet with hit markers."""

    development: Development
    snippet: str


@dataclass(frozen=True)
class SearchResults:
    """Best matches first."""

    query: str
    topic: Topic | None
    hits: list[SearchHit]


def _bound(value: str | None, field: str, *, end: bool) -> date | None:
    if not value or not value.strip():
        return None
    parsed = parse_fuzzy_date(value, field)
    return parsed.end if end else parsed.start


async def timeline(
    db: Db,
    topic_name: str,
    scope: Scope | None,
    *,
    start: str | None = None,
    end: str | None = None,
    limit: int = TIMELINE_MAX,
) -> Timeline:
    """Developments of a topic, oldest first, optionally between `start` and `end`."""
    topic = get_topic(topic_name)
    since = _bound(start, "from", end=False)
    until = _bound(end, "to", end=True)
    if since and until and since > until:
        raise InvalidInput("from", _("must not be after 'to'"))
    # No timeline shows sources (the list, its pages and the chart): reading them for up to
    # 1,000 developments was most of a timeline's time at 100k developments.
    devs = await queries.select_topic(
        db,
        topic.slug,
        scope,
        since=since,
        until=until,
        limit=limit,
        newest_first=False,
        with_sources=False,
    )
    total = len(devs)
    if total == limit:
        total = await queries.count_topic(db, topic.slug, scope, since=since, until=until)
    return Timeline(topic, since, until, devs, total)


def has_search_terms(text: str) -> bool:
    """Whether a query has at least one word or number to look for."""
    return bool(query_terms(text))


async def search(
    db: Db, text: str, scope: Scope | None, *, topic_name: str | None = None
) -> SearchResults:
    """Full-text search over titles, summaries, tags and sources."""
    topic = get_topic(topic_name) if topic_name else None
    if not has_search_terms(text):
        raise InvalidInput(
            "query",
            _("type at least one word or number (up to {max_query_chars} characters)").format(
                max_query_chars=MAX_QUERY_CHARS
            ),
        )
    found = await queries.search(
        db, text, scope, topic=topic.slug if topic else None, limit=SEARCH_LIMIT
    )
    return SearchResults(text.strip(), topic, [SearchHit(d, s) for d, s in found])
