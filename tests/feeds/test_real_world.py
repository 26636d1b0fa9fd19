"""What running the pipeline over real and hostile feeds found (issue 19), kept as small
feeds of our own in tests/data/feeds and a hostile loopback server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from bot.core.catalogue import Catalogue
from bot.core.feeds.fetch import FeedUnreachable, Fetcher
from bot.core.feeds.parse import parse_feed
from bot.core.feeds.service import ITEMS_PER_POLL, MAX_RETRY_AFTER, FeedService
from bot.core.feeds.worker import ParseWorker
from bot.domain.errors import InvalidInput
from storage.contract import Db
from tests.feeds.server import DATA, FeedServer, RawServer
from tests.helpers import EDITOR, FixedClock

C1 = {chr(c) for c in range(0x80, 0xA0)}


# --- 1. character references naming no character ------------------------------------------


async def test_bad_character_references_are_read_not_fatal(feeds, server: FeedServer, clock):
    server.serve_data("refs", "bad_references.xml")
    added = await feeds.add_feed(EDITOR, server.url("refs"))
    assert len(added.report.new) == 2, added.report.line()
    titles = sorted(c.title for c in await feeds.queue(None))
    assert titles[0] == "Japan, South Korea agree on \ufffd chip supply talks"
    # A feed that starts sending them later is still read on every poll.
    server.serve_items("later", "Later", [("Japan, U.S. hold talks", "https://ex.jp/l", "")])
    await feeds.add_feed(EDITOR, server.url("later"))
    server.serve_data("later", "bad_references.xml")
    clock.advance(minutes=16)
    reports = await feeds.poll_due()
    assert [r.outcome for r in reports] == ["unchanged", "ok"], [r.line() for r in reports]


# --- 2. control characters from outside are not stored -------------------------------------


async def test_controls_from_a_feed_are_not_stored(feeds, server: FeedServer):
    server.serve_data("controls", "controls.xml")
    added = await feeds.add_feed(EDITOR, server.url("controls"))
    assert "\x1b" not in added.feed.title and "\x07" not in added.feed.title
    (c,) = await feeds.queue(None)
    assert not C1 & set(c.title + c.summary), repr(c.title + c.summary)
    assert c.title.startswith("Japan, South Korea sign")


HOSTILE_REASON = "HTTP/1.1 503 Busy \x1b]0;owned\x07 \u202eesaelp\u202c\x9b\r\n".encode()


async def test_a_hostile_reason_phrase_is_stored_without_controls(feeds, server: FeedServer, clock):
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    hostile = RawServer(HOSTILE_REASON + b"Content-Length: 0\r\n\r\n")
    await hostile.start()
    try:
        async with feeds.db.transaction() as w:  # the feed's server turns hostile
            await w.execute("UPDATE feeds SET url = ?", (hostile.url("kyodo"),))
        clock.advance(minutes=16)
        (report,) = await feeds.poll_due()
    finally:
        await hostile.stop()
    (feed,) = await feeds.list_feeds(None)
    for text in (report.error or "", feed.last_error or ""):
        assert "HTTP 503 Busy" in text
        assert not {"\x1b", "\x07", "\x9b", "\u202e", "\u202c"} & set(text), repr(text)


# --- 3. a huge feed: a cap per poll, a deadline per parse -----------------------------------


def _many(n: int) -> list[tuple[str, str, str]]:
    base = datetime(2026, 10, 31, 12, tzinfo=UTC).timestamp()
    return [
        (
            f"Japan, South Korea sign pact{i} on ports{i} and rails{i}",  # no two alike
            f"https://ex.jp/round/{i}",
            format_datetime(datetime.fromtimestamp(base - 60 * i, UTC), usegmt=True),
        )
        for i in range(n)
    ]


async def test_a_poll_reads_only_the_newest_items_and_says_so(feeds, server: FeedServer, db):
    server.serve_items("flood", "Flood", _many(ITEMS_PER_POLL + 300)[::-1])  # oldest first
    report = (await feeds.add_feed(EDITOR, server.url("flood"))).report
    assert len(report.new) == ITEMS_PER_POLL and report.capped == 300
    assert "left out 300 older items" in report.line()
    links = {s.link for c in await feeds.queue(None, limit=1000) for s in c.sources}
    assert "https://ex.jp/round/0" in links and f"https://ex.jp/round/{ITEMS_PER_POLL}" not in links
    (feed,) = await feeds.list_feeds(None)
    assert feed.last_capped == 300


async def test_a_slow_parse_is_stopped_at_its_deadline(
    db: Db, catalogue: Catalogue, fetcher: Fetcher, clock: FixedClock, server: FeedServer
):
    # 2.4 MB of unclosed markup keeps feedparser busy for seconds; the child is killed.
    slow = b'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title><item><title>'
    slow += b"<p>a &nbsp; " * 200_000
    worker = ParseWorker(deadline_s=0.5)
    try:
        service = FeedService(db, catalogue, fetcher, clock, parser=worker)
        await service.add_feed(EDITOR, server.url("kyodo"))
        server.documents["kyodo"] = (slow, "application/rss+xml")
        clock.advance(minutes=16)
        started = time.monotonic()
        (report,) = await service.poll_due()
        assert time.monotonic() - started < 5
        assert report.outcome == "failed" and "took more than 0.5 s" in (report.error or "")
        server.serve_fixture("kyodo", "kyodo_atom.xml")
        assert (await worker.parse(server.documents["kyodo"][0], None, "")).items  # a new child
    finally:
        worker.close()


# --- 4. Retry-After ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "header", "expected_minutes"),
    [
        (429, "3600", 60),  # seconds; without it the backoff says 30 min
        (503, "Sun, 01 Nov 2026 11:45:00 GMT", 120),  # an HTTP date: two hours after now
        (429, "99999999", MAX_RETRY_AFTER.total_seconds() // 60),  # capped
        (429, "soon", 30),  # unreadable: the usual backoff
    ],
)
async def test_retry_after_is_honoured_and_capped(
    feeds, server: FeedServer, clock, status, header, expected_minutes
):
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    server.statuses["kyodo"] = status
    server.headers["kyodo"] = {"Retry-After": header}
    clock.advance(minutes=15)
    (report,) = await feeds.poll_due()
    assert report.outcome == "failed"
    (feed,) = await feeds.list_feeds(None)
    waited = datetime.fromisoformat(feed.next_poll_at.replace("Z", "+00:00")) - clock()
    assert waited.total_seconds() // 60 == expected_minutes


# --- 5. dates ------------------------------------------------------------------------------


async def test_far_future_dates_are_refused_and_local_dates_kept(feeds, server, clock):
    clock.now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    server.serve_data("dates", "dates.xml")
    await feeds.add_feed(EDITOR, server.url("dates"))
    by_link = {c.sources[0].link: c for c in await feeds.queue(None)}
    far = by_link["https://wire.example.org/far"]
    assert (far.occurred_on, far.date_from_feed) == ("2026-12-04", False)  # dated by arrival
    assert far.sources[0].published_on is None
    morning = by_link["https://wire.example.org/seoul-morning"]
    # 08:00 in Seoul on 4 Dec is 23:00 UTC on 3 Dec: the publisher's date is 4 Dec.
    assert (morning.occurred_on, morning.date_from_feed) == ("2026-12-04", True)
    assert morning.sources[0].published_on == "2026-12-04"


# --- 6. encodings and relative links -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "title", "first"),
    [
        (
            "shift_jis_declared_utf8.xml",
            "application/rss+xml; charset=utf-8",
            "NHKニュース 国際",
            "日韓首脳会談、シャトル外交の継続で一致",
        ),
        (
            "euc_jp_undeclared.xml",
            "text/xml",
            "NHKニュース 国際",
            "日米韓の外相が電話会談、北朝鮮への対応を協議",
        ),
        (
            "euc_kr_undeclared.xml",
            "text/xml",
            "연합뉴스 북한",
            "한미일 외교장관 통화…북한 미사일 도발 공동 대응",
        ),
        ("gb2312_undeclared.xml", "text/xml", "新华网 国际", "中日韩领导人会议筹备工作启动"),
    ],
)
async def test_asian_encodings_are_read_as_written(
    feeds, server: FeedServer, name, content_type, title, first
):
    server.serve_data("asia", name, content_type)
    added = await feeds.add_feed(EDITOR, server.url("asia"))
    assert added.feed.title == title  # stored as the publisher wrote it, not mojibake
    parsed = parse_feed((DATA / name).read_bytes(), content_type, server.url("asia"))
    assert parsed.items[0].title == first


async def test_relative_links_are_resolved_against_the_feed(feeds, server: FeedServer):
    server.serve_data("news/rss", "relative_links.xml")
    report = (await feeds.add_feed(EDITOR, server.url("news/rss"))).report
    assert len(report.new) == 2, report.line()
    links = sorted(s.link for c in await feeds.queue(None) for s in c.sources)
    assert links == [
        server.url("news/2026/10/31/japan-korea-youth.html"),
        server.url("news/story/us-envoy-seoul.html"),
    ]


# --- issue 20 item 20: what the operator reads -----------------------------------------------


async def test_a_page_names_its_feed_by_its_absolute_address(feeds, server: FeedServer):
    server.documents["home"] = ((DATA / "page_relative.html").read_bytes(), "text/html")
    with pytest.raises(
        InvalidInput, match=r"its feed seems to be http://127\.0\.0\.1:\d+/rss\.xml"
    ):
        await feeds.add_feed(EDITOR, server.url("home"))


async def test_a_refused_connection_is_said_in_words(fetcher: Fetcher, server: FeedServer):
    port = server.port
    await server.stop()  # nothing listens there any more
    with pytest.raises(FeedUnreachable) as caught:
        await fetcher.fetch(f"http://127.0.0.1:{port}/yonhap")
    text = str(caught.value)
    assert text == f"cannot fetch http://127.0.0.1:{port}/yonhap: the server refused the connection"
