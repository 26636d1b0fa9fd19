"""A poll interrupted half-way (the process dies mid-feed) neither loses nor duplicates
candidates: the whole feed is one transaction with its new validators, so the next
process polls it again without If-None-Match and ends where an uninterrupted poll would."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.catalogue import Catalogue
from bot.core.feeds import service as service_module
from bot.core.feeds.classify import classify
from bot.core.feeds.fetch import Fetcher
from bot.core.feeds.service import FeedService
from storage.sqlite.database import Database
from tests.feeds.conftest import LOOPBACK
from tests.feeds.server import FeedServer
from tests.helpers import EDITOR, FixedClock

HEADLINES = (
    "Japan, South Korea hold talks on shuttle diplomacy",
    "Seoul lifts curbs on Japanese seafood imports",
    "Tokyo restores South Korea to export whitelist",
    "Korean and Japanese students resume exchange programs",
    "Japan, S. Korea finance chiefs revive currency swap",
    "Seoul and Tokyo to share missile warning data in real time",
)
ITEMS = [
    (title, f"https://ex.jp/{n}", "Sun, 30 Oct 2026 01:00:00 GMT")
    for n, title in enumerate(HEADLINES)
]


async def _titles(db: Database) -> list[str]:
    rows = await db.fetchall("SELECT title FROM candidates ORDER BY title")
    return [r[0] for r in rows]


async def test_a_poll_killed_half_way_is_redone_exactly(
    db_path, server: FeedServer, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.serve_items("wire", "Wire", ITEMS[:2])
    db = await Database.open(db_path)
    fetcher = Fetcher(LOOPBACK)
    first = FeedService(db, Catalogue(db, clock), fetcher, clock)
    await first.add_feed(EDITOR, server.url("wire"))
    server.serve_items("wire", "Wire", ITEMS)
    calls = {"n": 0}

    def dying(title: str, summary: str = "") -> Any:
        calls["n"] += 1
        if calls["n"] == 3:  # the third new item: the process is killed here
            raise asyncio.CancelledError
        return classify(title, summary)

    monkeypatch.setattr(service_module, "classify", dying)
    clock.advance(minutes=15)
    with pytest.raises(asyncio.CancelledError):
        await first.poll_due()
    monkeypatch.setattr(service_module, "classify", classify)
    assert len(await _titles(db)) == 2  # nothing of the interrupted poll was kept
    etag = await db.scalar("SELECT etag FROM feeds")
    await fetcher.close()
    await db.close()

    # A new process on the same file: the feed is still due and is polled in full.
    db = await Database.open(db_path)
    fetcher = Fetcher(LOOPBACK)
    try:
        second = FeedService(db, Catalogue(db, clock), fetcher, clock)
        (report,) = await second.poll_due()
        assert len(report.new) == 4 and report.skipped == {"seen before": 2}
        titles = await _titles(db)
        assert titles == sorted(t for t, _, _ in ITEMS)  # every item once
        assert await db.scalar("SELECT etag FROM feeds") != etag
        clock.advance(minutes=15)
        (again,) = await second.poll_due()
        assert again.outcome == "unchanged" and len(await _titles(db)) == 6
    finally:
        await fetcher.close()
        await db.close()
