"""Timelines: date order, bounds with precision, scope."""

from __future__ import annotations

import pytest

from bot.core import lookup
from bot.core.catalogue import Catalogue
from bot.domain.errors import InvalidInput, UnknownTopic
from storage.contract import Db
from tests.helpers import MOD_A, SCOPE_A, SCOPE_B, draft


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


async def test_timeline_truncation_counts_everything(db: Db) -> None:
    tl = await lookup.timeline(db, "japan-korea", None, limit=3)
    assert len(tl.developments) == 3 and tl.total == 10 and tl.truncated


async def test_timeline_scope(catalogue: Catalogue, db: Db) -> None:
    own = await catalogue.add(MOD_A, draft())
    assert own.id in [
        d.id for d in (await lookup.timeline(db, "japan-korea", SCOPE_A)).developments
    ]
    assert own.id not in [
        d.id for d in (await lookup.timeline(db, "japan-korea", SCOPE_B)).developments
    ]
