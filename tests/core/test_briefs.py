"""Brief composition on the starter dataset, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from bot.core.briefs import BriefItem, compose_brief, parse_domain, parse_period
from bot.core.catalogue import Catalogue
from bot.core.dataset import load_starter
from bot.domain.errors import InvalidInput, UnknownTopic
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import (
    EDITOR,
    GUILD_A,
    GUILD_B,
    MOD_A,
    MOD_B,
    SCOPE_A,
    SCOPE_B,
    FixedClock,
    draft,
)


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


async def test_japan_korea_brief_on_the_starter_dataset(db: Db, clock: FixedClock) -> None:
    brief = await compose_brief(db, "japan-korea", None, clock=clock)
    assert brief.topic.slug == "japan-korea"
    assert brief.period == "all" and brief.period_label == "all time"
    titles = [i.development.title for i in brief.key]
    assert any("summit in Tokyo" in t for t in titles)
    assert any("export inspections" in t for t in titles)
    assert any("tourism" in t for t in titles)
    assert any("$80 billion" in i.development.title for i in brief.indicators)
    assert brief.context
    assert brief.total == 10
    assert brief.as_of is not None and brief.as_of.isoformat() == "2023-04-14"
    publishers = {s.publisher for _, s in brief.sources}
    assert {"Yonhap News Agency", "ANKASAM"} <= publishers


async def test_key_developments_are_the_most_important_shown_newest_first(
    db: Db, clock: FixedClock
) -> None:
    brief = await compose_brief(db, "japan-korea", None, clock=clock)
    dates = [i.development.occurred.start for i in brief.key]
    assert dates == sorted(dates, reverse=True)  # a visible order: by date, newest first
    assert len(set(dates)) > 1
    shown = {i.development.importance for i in brief.key}
    assert 3 in shown  # chosen by importance: the most important are all there
    assert all(i.development.kind == "event" for i in brief.key)
    assert all(i.development.kind == "indicator" for i in brief.indicators)
    assert all(i.development.kind == "analysis" for i in brief.context)
    assert all(i.development.why_it_matters for i in brief.why)


async def test_trilateral_brief_has_the_improving_assessment(db: Db, clock: FixedClock) -> None:
    brief = await compose_brief(db, "trilateral", None, clock=clock)
    assert brief.assessment is not None
    assert brief.assessment.trend == "improving"
    assert "deepen" in brief.assessment.bottom_line
    assert 1 <= len(brief.assessment.watch_next) <= 5
    no_assessment = await compose_brief(db, "china", None, clock=clock)
    assert no_assessment.assessment is None


@pytest.mark.parametrize(
    ("now", "period", "expected"),
    [
        # 1 May 2023: 30 days back is 1 April (tourism 13 Apr, defence talks 14 Apr).
        (datetime(2023, 5, 1, tzinfo=UTC), "30d", 2),
        (datetime(2023, 5, 1, tzinfo=UTC), "7d", 0),
        (datetime(2023, 4, 20, tzinfo=UTC), "7d", 2),
        # 90 days back is 31 Jan: the two items dated only "2023" (1 Jan) fall outside.
        (datetime(2023, 5, 1, tzinfo=UTC), "90d", 8),
        (datetime(2023, 5, 1, tzinfo=UTC), "1y", 10),
        (datetime(2023, 5, 1, tzinfo=UTC), "all", 10),
        (datetime(2026, 1, 1, tzinfo=UTC), "1y", 0),
        (datetime(2026, 1, 1, tzinfo=UTC), "all", 10),
    ],
)
async def test_period_filter_is_relative_to_the_clock(
    db: Db, now: datetime, period: str, expected: int
) -> None:
    brief = await compose_brief(db, "japan-korea", None, period=period, clock=FixedClock(now))
    assert brief.total == expected
    start = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}.get(period)
    for item in brief.key + brief.indicators + brief.context:
        if start is not None:
            assert (now.date() - item.development.occurred.start).days <= start
    if expected == 0:
        assert brief.is_empty and not brief.key and not brief.sources


async def test_domain_filter(db: Db, clock: FixedClock) -> None:
    brief = await compose_brief(db, "japan-korea", None, domain="Economy", clock=clock)
    items = brief.key + brief.indicators + brief.context
    assert items
    assert {i.development.domain for i in items} == {"economy"}
    assert brief.domain == "economy"
    security = await compose_brief(db, "security", None, clock=clock)
    assert {i.development.domain for i in security.key + security.context} == {"security"}


async def test_bad_arguments(db: Db, clock: FixedClock) -> None:
    with pytest.raises(InvalidInput, match="period"):
        await compose_brief(db, "japan-korea", None, period="5d", clock=clock)
    with pytest.raises(InvalidInput, match="domain"):
        await compose_brief(db, "japan-korea", None, domain="sports", clock=clock)
    with pytest.raises(UnknownTopic):
        await compose_brief(db, "atlantis", None, clock=clock)
    assert parse_period(None) == "all" and parse_period(" 1Y ") == "1y"
    assert parse_domain("") is None


async def test_future_development_is_what_to_watch(
    catalogue: Catalogue, db: Db, clock: FixedClock
) -> None:
    future = await catalogue.add(
        EDITOR,
        draft(title="Trilateral summit at Camp David", date="2023-08-18", countries="US JP KR"),
    )
    brief = await compose_brief(db, "japan-korea", None, clock=clock)
    assert [i.development.id for i in brief.upcoming] == [future.id]
    assert future.id not in [i.development.id for i in brief.key]
    assert brief.as_of is not None and brief.as_of.isoformat() == "2023-04-14"
    # Once the day has passed it is an ordinary key development.
    clock.now = datetime(2023, 8, 19, tzinfo=UTC)
    later = await compose_brief(db, "japan-korea", None, clock=clock)
    assert not later.upcoming
    assert future.id in [i.development.id for i in later.key]


async def test_sources_are_numbered_and_deduplicated(db: Db, clock: FixedClock) -> None:
    brief = await compose_brief(db, "japan-korea", None, clock=clock)
    numbers = [n for n, _ in brief.sources]
    assert numbers == list(range(1, len(numbers) + 1))
    keys = [(s.title, s.url, s.publisher) for _, s in brief.sources]
    assert len(keys) == len(set(keys))
    by_number = dict(brief.sources)
    article = [n for n, s in brief.sources if s.publisher == "ANKASAM"]
    assert len(article) == 1  # cited by many developments, listed once
    for item in brief.key + brief.indicators + brief.context + brief.upcoming:
        assert item.source_numbers
        assert [by_number[n] for n in item.source_numbers] == list(item.development.sources)


async def test_a_server_sees_global_and_its_own_never_another(
    catalogue: Catalogue, db: Db, clock: FixedClock
) -> None:
    own = await catalogue.add(MOD_A, draft(title="Server A's own note", importance="3"))
    other = await catalogue.add(MOD_B, draft(title="Server B's own note", importance="3"))
    assert own.guild_id == GUILD_A and other.guild_id == GUILD_B

    def ids(brief_items: list[BriefItem]) -> set[int]:
        return {i.development.id for i in brief_items}

    in_a = await compose_brief(db, "japan-korea", SCOPE_A, clock=clock)
    in_b = await compose_brief(db, "japan-korea", SCOPE_B, clock=clock)
    global_only = await compose_brief(db, "japan-korea", None, clock=clock)
    assert own.id in ids(in_a.key) and other.id not in ids(in_a.key)
    assert other.id in ids(in_b.key) and own.id not in ids(in_b.key)
    assert not {own.id, other.id} & ids(global_only.key)
    assert in_a.total == global_only.total + 1 == in_b.total


async def test_huge_topics_are_counted_up_to_a_cap(sqlite_empty_db: Database, clock) -> None:
    """Past COUNT_CAP the brief says '1000+' instead of counting every row."""
    from bot.core import briefs, transfer
    from tests.helpers import raw_development

    doc = {
        "developments": [raw_development(title=f"Item {i}") for i in range(briefs.COUNT_CAP + 5)]
    }
    await transfer.import_data(sqlite_empty_db, doc, clock)
    brief = await compose_brief(sqlite_empty_db, "japan-korea", None, clock=clock)
    assert brief.total == briefs.COUNT_CAP and brief.total_label == "1000+"


async def test_an_empty_period_suggests_the_shortest_wider_period_that_shows_something(
    db: Db, clock: FixedClock
) -> None:
    # The clock says 1 May 2023; the latest Japan–Korea development is of 14 Apr 2023.
    week = await compose_brief(db, "japan-korea", None, period="7d", clock=clock)
    assert week.is_empty and week.suggestion == ("30d", None)
    assert week.suggestion_label == "last 30 days"
    clock.advance(days=365 * 3)
    late = await compose_brief(db, "japan-korea", None, period="30d", clock=clock)
    assert late.suggestion == ("all", None)
    full = await compose_brief(db, "japan-korea", None, clock=clock)
    assert not full.is_empty and full.suggestion is None


async def test_an_empty_domain_suggests_dropping_it_and_never_the_period_in_use(
    db: Db, clock: FixedClock
) -> None:
    russia = await compose_brief(db, "russia", None, period="all", domain="society", clock=clock)
    assert russia.is_empty and russia.suggestion == ("all", None)


class _StatementByStatement:
    """The SQLite database seen only through the `Db` reads (not a `Database`), so a brief
    reads it statement by statement, as on PostgreSQL, instead of in one trip."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect
        self.statements = 0

    async def fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        self.statements += 1
        return await self.db.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Any = ()) -> Any:
        self.statements += 1
        return await self.db.fetchone(sql, params)

    async def scalar(self, sql: str, params: Any = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


async def test_one_trip_reads_give_the_brief_statement_by_statement_reads_give(
    sqlite_empty_db: Database, clock: FixedClock
) -> None:
    from bot.core import briefs, transfer
    from tests.helpers import raw_development

    sqlite_db = sqlite_empty_db
    await load_starter(sqlite_db, clock)
    own = raw_development(title="A server's own") | {"scope": str(GUILD_A)}
    many = [raw_development(title=f"Item {i}") for i in range(briefs.CANDIDATES + 3)]
    await transfer.import_data(sqlite_db, {"developments": [*many, own]}, clock)
    for topic, scope, period in [
        ("japan-korea", None, "all"),  # more rows than read: counted too
        ("japan-korea", SCOPE_A, "all"),
        ("trilateral", SCOPE_B, "all"),  # with its assessment
        ("china", None, "7d"),
    ]:
        slow = _StatementByStatement(sqlite_db)
        one_trip = await compose_brief(sqlite_db, topic, scope, period=period, clock=clock)
        by_statement = await compose_brief(cast(Db, slow), topic, scope, period=period, clock=clock)
        assert one_trip == by_statement
        assert slow.statements >= 3  # rows, assessment, sources (the path was taken)
    assert one_trip.total == 0 or one_trip.key
