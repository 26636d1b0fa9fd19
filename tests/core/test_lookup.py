"""Timelines: date order, bounds with precision, scope."""

from __future__ import annotations

import pytest

from bot.core import lookup
from bot.core.catalogue import Catalogue
from bot.domain.errors import InvalidInput, UnknownTopic
from storage.contract import Db
from tests.helpers import MOD_A, SCOPE_A, SCOPE_B, FixedClock, draft


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


async def test_timeline_is_chronological(db: Db) -> None:
    tl = await lookup.timeline(db, "japan-korea", None)
    starts = [d.occurred.start for d in tl.developments]
    assert starts == sorted(starts)
    assert tl.total == len(tl.developments) == 10
    assert not tl.truncated


async def test_timeline_bounds(db: Db) -> None:
    april = await lookup.timeline(db, "japan-korea", None, start="2023-04", end="2023-04")
    assert [d.occurred.iso() for d in april.developments] == ["2023-04-13", "2023-04-14"]
    march = await lookup.timeline(db, "japan-korea", None, start="2023-03-16", end="2023-03-31")
    assert "2023-03-15" not in [d.occurred.iso() for d in march.developments]
    assert "2023-03-19" in [d.occurred.iso() for d in march.developments]
    with pytest.raises(InvalidInput, match="from"):
        await lookup.timeline(db, "japan-korea", None, start="2024", end="2023")
    with pytest.raises(InvalidInput, match="to"):
        await lookup.timeline(db, "japan-korea", None, end="2023-02-30")
    with pytest.raises(UnknownTopic):
        await lookup.timeline(db, "mars", None)


async def test_a_truncated_timeline_says_more_without_counting_them_all(db: Db) -> None:
    # Counting a topic of tens of thousands exactly cost 40-55 ms on every /timeline.
    tl = await lookup.timeline(db, "japan-korea", None, limit=3)
    assert len(tl.developments) == 3 and tl.total == 3 and tl.more and tl.truncated
    whole = await lookup.timeline(db, "japan-korea", None, limit=10)
    assert whole.total == 10 and not whole.more and not whole.truncated


async def _same_day(db: Db, clock: FixedClock, count: int) -> list[int]:
    """`count` developments of japan-korea all on 2023-05-01 (ties on date): their ids."""
    catalogue = Catalogue(db, clock)
    added = [
        await catalogue.add(MOD_A, draft(title=f"Same day {n}", date="2023-05-01"))
        for n in range(count)
    ]
    return [d.id for d in added]


async def test_timeline_pages_walk_ties_on_date_forwards_and_back(
    db: Db, clock: FixedClock
) -> None:
    same_day = await _same_day(db, clock, 25)
    whole = await lookup.timeline(db, "japan-korea", SCOPE_A)
    order = [d.id for d in whole.developments]
    assert len(order) == 35 and order[-25:] == sorted(same_day)

    pages = [await lookup.timeline_page(db, "japan-korea", SCOPE_A, size=12)]
    while pages[-1].later is not None:
        last = pages[-1]
        pages.append(
            await lookup.timeline_page(
                db, "japan-korea", SCOPE_A, size=12, number=last.number + 1, after=last.later
            )
        )
    assert [p.number for p in pages] == [0, 1, 2]
    assert [p.pages for p in pages] == [3, 3, 3]
    assert [d.id for p in pages for d in p.timeline.developments] == order  # none twice
    assert pages[0].earlier is None and pages[-1].later is None
    assert all(p.timeline.total == 35 and not p.timeline.more for p in pages)

    back = []
    page = pages[-1]
    while page.earlier is not None:
        page = await lookup.timeline_page(
            db, "japan-korea", SCOPE_A, size=12, number=page.number - 1, before=page.earlier
        )
        back.append(page)
    assert [p.number for p in back] == [1, 0]
    assert [[d.id for d in p.timeline.developments] for p in back] == [
        order[12:24],
        order[:12],
    ]
    assert back[-1].earlier is None and back[-1].later == order[11]


async def test_a_timeline_page_within_bounds_and_a_bound_gone(db: Db, clock: FixedClock) -> None:
    await _same_day(db, clock, 14)
    may = await lookup.timeline_page(
        db, "japan-korea", SCOPE_A, start="2023-05", end="2023-05", size=12
    )
    assert [d.occurred.iso() for d in may.timeline.developments] == ["2023-05-01"] * 12
    assert may.pages == 2 and may.later is not None
    # A button naming a development that is not in the topic starts again from page 1.
    again = await lookup.timeline_page(
        db, "japan-korea", SCOPE_A, start="2023-05", size=12, number=4, after=999_999
    )
    assert again.number == 0 and again.timeline.developments == may.timeline.developments


async def test_timeline_pages_count_up_to_a_cap_then_say_more(
    db: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "COUNT_CAP", 20)
    await _same_day(db, clock, 25)
    first = await lookup.timeline_page(db, "japan-korea", SCOPE_A, size=12)
    assert first.timeline.total == 20 and first.timeline.more
    assert first.pages is None and first.later is not None


async def test_timeline_scope(catalogue: Catalogue, db: Db) -> None:
    own = await catalogue.add(MOD_A, draft())
    assert own.id in [
        d.id for d in (await lookup.timeline(db, "japan-korea", SCOPE_A)).developments
    ]
    assert own.id not in [
        d.id for d in (await lookup.timeline(db, "japan-korea", SCOPE_B)).developments
    ]
