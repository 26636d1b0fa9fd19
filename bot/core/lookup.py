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
#: A timeline page counts its topic up to this many (and says "more than" beyond): an exact
#: count of a topic of tens of thousands costs tens of milliseconds on every page turned.
COUNT_CAP = 1000
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
    #: `total` is a floor: more than `total` developments match.
    more: bool = False

    @property
    def truncated(self) -> bool:
        """More developments matched than the timeline holds."""
        return self.more or self.total > len(self.developments)


@dataclass(frozen=True)
class TimelinePage:
    """One page of a timeline: `timeline.developments` are the page's, `timeline.total`
    counts the whole range (up to COUNT_CAP, then `timeline.more`)."""

    timeline: Timeline
    number: int  # from 0
    pages: int | None  # None when more than COUNT_CAP match
    earlier: int | None  # the development to page back from, when there is an earlier page
    later: int | None  # the development to page on from, when there is a later one


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
    limit: int | None = None,
) -> Timeline:
    """Developments of a topic, oldest first, optionally between `start` and `end`: the
    first `limit` (TIMELINE_MAX), and when more match, `more` (they are not counted)."""
    topic, since, until = _range(topic_name, start, end)
    limit = TIMELINE_MAX if limit is None else limit
    # No timeline shows sources (the list, its pages and the chart): reading them for up to
    # 1,000 developments was most of a timeline's time at 100k developments.
    devs = await queries.select_topic(
        db,
        topic.slug,
        scope,
        since=since,
        until=until,
        limit=limit + 1,
        newest_first=False,
        with_sources=False,
    )
    more = len(devs) > limit
    del devs[limit:]
    return Timeline(topic, since, until, devs, len(devs), more)


async def timeline_page(
    db: Db,
    topic_name: str,
    scope: Scope | None,
    *,
    start: str | None = None,
    end: str | None = None,
    size: int,
    number: int = 0,
    after: int | None = None,
    before: int | None = None,
) -> TimelinePage:
    """Page `number` of a timeline: the first page, or the one just after (`after`) or
    before (`before`) a development shown on the page beside it. Reads only the page (and
    a count of the range up to COUNT_CAP), however long the topic is."""
    topic, since, until = _range(topic_name, start, end)
    devs, beyond, anchored = await queries.select_topic_page(
        db, topic.slug, scope, since=since, until=until, size=size, after=after, before=before
    )
    if anchored and not devs:  # everything past the bound has gone since: start again
        devs, beyond, anchored = await queries.select_topic_page(
            db, topic.slug, scope, since=since, until=until, size=size
        )
    counted = await queries.count_topic(
        db, topic.slug, scope, since=since, until=until, cap=COUNT_CAP + 1
    )
    more = counted > COUNT_CAP
    total = min(counted, COUNT_CAP)
    pages = None if more else max(1, -(-total // size))
    first, last = (devs[0].id, devs[-1].id) if devs else (None, None)
    if not anchored:
        number, earlier, later = 0, None, last if beyond else None
    elif after is not None:
        number, earlier, later = max(number, 1), first, last if beyond else None
    else:  # read backwards: `beyond` says whether there is a page before this one
        number = max(number, 1) if beyond else 0
        earlier, later = first if beyond else None, last
    if pages is not None:
        number = min(number, pages - 1)
    timeline = Timeline(topic, since, until, devs, total, more)
    return TimelinePage(timeline, number, pages, earlier, later)


def _range(
    topic_name: str, start: str | None, end: str | None
) -> tuple[Topic, date | None, date | None]:
    topic = get_topic(topic_name)
    since = _bound(start, "from", end=False)
    until = _bound(end, "to", end=True)
    if since and until and since > until:
        raise InvalidInput("from", _("must not be after 'to'"))
    return topic, since, until


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
