"""Fixtures: the loopback feed server, a fetcher allowed to reach it, the feed service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.catalogue import Catalogue
from bot.core.feeds.fetch import Fetcher, FetchPolicy
from bot.core.feeds.service import FeedService
from storage.contract import Db
from tests.feeds.server import FeedServer
from tests.helpers import FixedClock

LOOPBACK = FetchPolicy(allow_private=True, host_interval_s=0.0, timeout_s=1.0)
# The fixtures' items are dated 24-30 Oct 2026: "now" is a day after, so they are news.
FEEDS_NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FEEDS_NOW)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = FeedServer()
    s.serve_fixture("yonhap", "yonhap_rss2.xml")
    s.serve_fixture("kyodo", "kyodo_atom.xml", "application/atom+xml; charset=utf-8")
    s.serve_fixture("mofa", "mofa_rdf.xml", "application/rdf+xml")
    s.serve_fixture("malformed", "malformed.xml", "text/xml")
    s.serve_fixture("state", "state_cp1252.xml", "text/xml")
    s.serve_fixture("page", "page.html", "text/html; charset=utf-8")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    f = Fetcher(LOOPBACK)
    yield f
    await f.close()


@pytest.fixture
def db(any_db: Db) -> Db:
    """The feed tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def feeds(db: Db, catalogue: Catalogue, fetcher: Fetcher, clock: FixedClock) -> FeedService:
    return FeedService(db, catalogue, fetcher, clock)
