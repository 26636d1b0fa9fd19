"""The feed pipeline end to end against the loopback server: add, poll, dedupe, classify,
failures and refusals, approve and reject."""

from __future__ import annotations

import pytest

from bot.core import lookup
from bot.core.feeds.fetch import FeedUnreachable, Fetcher, FetchPolicy, PrivateAddress
from bot.core.feeds.service import FeedService
from bot.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from storage.contract import Db
from tests.helpers import EDITOR, MEMBER_A, MOD_A, FixedClock, draft, require_search


async def _count(db: Db, table: str) -> int:
    return int(await db.scalar(f"SELECT COUNT(*) FROM {table}"))


async def test_adding_a_feed_fetches_it_and_queues_classified_items(feeds, server):
    added = await feeds.add_feed(EDITOR, server.url("yonhap"))
    r = added.report
    assert added.feed.title == "Yonhap News Agency - North Korea & Diplomacy"
    assert r.items == 6 and len(r.new) == 4
    assert r.skipped == {"not about the tracked countries": 1, "no http(s) link": 1}
    queue = await feeds.queue(None)
    by_title = {c.title: c for c in queue}
    drills = by_title["S. Korea, U.S., Japan agree to hold missile defense drills"]
    assert drills.countries == ("US", "JP", "KR") and drills.domain == "security"
    assert drills.occurred_on == "2026-10-30" and drills.date_from_feed
    assert drills.sources[0].link == "https://en.yna.co.kr/view/AEN20230430000351315?section=nk/nk"
    assert drills.sources[0].publisher == "Yonhap News Agency - North Korea & Diplomacy"
    assert drills.summary.startswith("SEOUL, April 30 (Yonhap) -- South Korea, the United")
    assert "<p>" not in drills.summary
    # Entities decoded once, even when the feed encoded them twice.
    assert 'Yoon\'s state visit: "Washington Declaration" on extended deterrence' in by_title
    missile = by_title["N. Korea fires short-range ballistic missile into East Sea: JCS"]
    assert missile.countries == ("KP",)  # the Seoul dateline is not a subject
    undated = by_title["Seoul, Tokyo discuss resuming financial dialogue after seven-year hiatus"]
    assert not undated.date_from_feed and undated.occurred_on == "2026-11-01"  # first seen


async def test_the_same_story_from_a_second_feed_is_merged(feeds, server):
    await feeds.add_feed(EDITOR, server.url("yonhap"))
    r = (await feeds.add_feed(EDITOR, server.url("kyodo"))).report
    assert r.merged == 1 and len(r.new) == 2
    queue = await feeds.queue(None)
    drills = next(c for c in queue if "drills" in c.title)
    assert [s.publisher for s in drills.sources] == [
        "Yonhap News Agency - North Korea & Diplomacy",
        "Kyodo News+ | Politics",
    ]
    assert drills.sources[1].link.endswith("s-korea-us-japan-drills.html")  # fragment dropped
    assert len(queue) == 6


async def test_an_unchanged_feed_costs_a_304_and_adds_nothing(feeds, server, clock, db):
    added = await feeds.add_feed(EDITOR, server.url("yonhap"))
    before = await _count(db, "candidates")
    clock.advance(minutes=15)
    reports = await feeds.poll_due()
    assert [r.outcome for r in reports] == ["unchanged"]
    assert server.conditional_hits == 1
    assert await _count(db, "candidates") == before
    assert (await feeds.list_feeds(None))[0].next_poll_at == "2026-11-01T10:00:00Z"
    assert added.feed.id == reports[0].feed_id


async def test_only_new_items_of_a_changed_feed_are_processed(feeds, server, clock):
    item = (
        "Japan, S. Korea agree to restart shuttle diplomacy",
        "https://ex.jp/a",
        "Sat, 29 Oct 2026 09:00:00 GMT",
    )
    server.serve_items("live", "Live wire", [item])
    await feeds.add_feed(EDITOR, server.url("live"))
    newer = (
        "U.S. envoy visits Tokyo for talks on North Korea",
        "https://ex.jp/b",
        "Sun, 30 Oct 2026 09:00:00 GMT",
    )
    server.serve_items("live", "Live wire", [newer, item])
    clock.advance(minutes=16)
    (report,) = await feeds.poll_due()
    assert len(report.new) == 1 and report.skipped == {"seen before": 1}


async def test_keywords_and_topics_narrow_what_a_feed_queues(feeds, server):
    r = (await feeds.add_feed(EDITOR, server.url("yonhap"), keywords="missile, Drills")).report
    assert len(r.new) == 2 and r.skipped["outside the feed's keywords"] == 2
    r2 = (await feeds.add_feed(EDITOR, server.url("kyodo"), topics="japan-korea")).report
    assert r2.skipped["outside the feed's topics"] == 1  # the jobless rate: Japan alone


async def test_a_story_already_in_the_catalogue_is_not_queued(feeds, server, catalogue):
    await catalogue.add(
        EDITOR,
        draft(
            title="South Korean and Japanese tourism ministers agree to cooperate on tourism",
            date="2026-10-28",
        ),
        "global",
    )
    server.serve_items(
        "tour",
        "Ministry wire",
        [
            (
                "S. Korea, Japan tourism ministers agree to boost tourism cooperation",
                "https://ex.kr/t",
                "Thu, 29 Oct 2026 03:00:00 GMT",
            )
        ],
    )
    r = (await feeds.add_feed(EDITOR, server.url("tour"))).report
    assert r.new == [] and r.skipped == {"already in the catalogue": 1}


async def test_a_feed_can_be_read_more_or_less_often(feeds, server, clock):
    added = await feeds.add_feed(EDITOR, server.url("kyodo"), every_minutes=60)
    assert added.feed.interval_s == 3600
    clock.advance(minutes=30)
    assert await feeds.poll_due() == []
    clock.advance(minutes=30)
    assert len(await feeds.poll_due()) == 1
    with pytest.raises(InvalidInput, match="5 to 1440 minutes"):
        await feeds.add_feed(EDITOR, server.url("yonhap"), every_minutes=1)


async def test_old_items_are_not_news(feeds, server):
    server.serve_items(
        "archive",
        "Archive",
        [("Japan, South Korea sign pact", "https://ex.jp/old", "Mon, 01 Jun 2026 00:00:00 GMT")],
    )
    r = (await feeds.add_feed(EDITOR, server.url("archive"))).report
    assert r.skipped == {"older than 60 days": 1}


async def test_rejected_stories_never_return(feeds, server):
    await feeds.add_feed(EDITOR, server.url("yonhap"))
    drills = next(c for c in await feeds.queue(None) if "drills" in c.title)
    await feeds.reject(EDITOR, drills.id)
    r = (await feeds.add_feed(EDITOR, server.url("kyodo"))).report
    assert r.skipped["already rejected"] == 1 and r.merged == 0
    assert all("drills" not in c.title for c in await feeds.queue(None))


async def test_approve_publishes_with_every_source_and_search_finds_it(feeds, server, db):
    require_search(db)
    await feeds.add_feed(EDITOR, server.url("yonhap"))
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    drills = next(c for c in await feeds.queue(None) if "drills" in c.title)
    dev = await feeds.approve(EDITOR, drills.id)
    assert dev.guild_id is None and dev.countries == ("JP", "KR", "US")
    assert [s.url for s in dev.sources] == [s.link for s in drills.sources]
    assert dev.importance == 3
    assert dev.revision_count == 1
    found = await lookup.search(db, "missile defense drills", None)
    assert dev.id in [hit.development.id for hit in found.hits]
    assert drills.id not in [c.id for c in await feeds.queue(None)]
    with pytest.raises(Conflict, match="already approved"):
        await feeds.approve(EDITOR, drills.id)


async def test_approve_with_an_edited_draft(feeds, server):
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    c = (await feeds.queue(None))[0]
    edited = FeedService.draft_of(c)
    from dataclasses import replace

    dev = await feeds.approve(EDITOR, c.id, replace(edited, title="Edited title", tags=("drills",)))
    assert dev.title == "Edited title" and dev.tags == ("drills",)


async def test_only_the_queue_owners_can_decide(feeds, server, catalogue, clock):
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    c = (await feeds.queue(None))[0]
    with pytest.raises(PermissionDenied):
        await feeds.approve(MOD_A, c.id)  # a server moderator, the global queue
    with pytest.raises(PermissionDenied):
        await feeds.reject(MEMBER_A, c.id)
    server_feed = await feeds.add_feed(MOD_A, server.url("mofa"))
    own = (await feeds.queue(MOD_A.scope))[0]
    assert server_feed.feed.scope == MOD_A.scope
    with pytest.raises(NotFound):
        await feeds.approve(EDITOR, own.id)  # another server's queue looks absent
    with pytest.raises(PermissionDenied):
        await feeds.add_feed(MEMBER_A, server.url("state"))
    assert (await feeds.approve(MOD_A, own.id)).scope == MOD_A.scope


async def test_bad_addresses_store_nothing(feeds, server, db):
    with pytest.raises(
        InvalidInput, match="web page, not a feed; its feed seems to be https://www3"
    ):
        await feeds.add_feed(EDITOR, server.url("page"))
    with pytest.raises(FeedUnreachable, match="HTTP 500"):
        await feeds.add_feed(EDITOR, server.url("error"))
    with pytest.raises(InvalidInput, match="http:// or https://"):
        await feeds.add_feed(EDITOR, "file:///etc/passwd")
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    with pytest.raises(Conflict, match="already reads"):
        await feeds.add_feed(EDITOR, server.url("kyodo"))
    assert await _count(db, "feeds") == 1


async def test_private_addresses_are_refused_unless_allowed(db, catalogue, clock, server):
    strict = Fetcher(FetchPolicy(host_interval_s=0))
    try:
        service = FeedService(db, catalogue, strict, clock)
        with pytest.raises(PrivateAddress, match="FEEDS_ALLOW_PRIVATE"):
            await service.add_feed(EDITOR, server.url("yonhap"))
    finally:
        await strict.close()
    assert await _count(db, "feeds") == 0 and server.hits == {}


async def test_malformed_and_misencoded_feeds_are_read_as_far_as_they_go(feeds, server):
    r = (await feeds.add_feed(EDITOR, server.url("malformed"))).report
    assert len(r.new) == 1 and r.skipped == {"no http(s) link": 1}
    await feeds.add_feed(EDITOR, server.url("state"))
    titles = [c.title for c in await feeds.queue(None)]
    assert "Secretary Blinken’s Meeting with Japanese Foreign Minister Hayashi – Readout" in titles


async def test_failing_feeds_back_off_then_pause_after_a_day(feeds, server, clock: FixedClock):
    await feeds.add_feed(EDITOR, server.url("yonhap"))
    server.statuses["yonhap"] = 503
    clock.advance(minutes=15)
    (first,) = await feeds.poll_due()
    assert first.outcome == "failed" and "HTTP 503" in (first.error or "")
    feed = (await feeds.list_feeds(None))[0]
    assert feed.failures == 1 and feed.next_poll_at == "2026-11-01T10:15:00Z"  # 2 × 15 min
    assert await feeds.poll_due() == []  # not due yet: backing off
    outcomes = []
    for _ in range(12):
        clock.advance(hours=3)
        outcomes += [r.outcome for r in await feeds.poll_due()]
    assert outcomes[-1] == "paused" and outcomes.count("paused") == 1
    feed = (await feeds.list_feeds(None))[0]
    assert feed.status == "paused"
    assert feed.pause_reason and feed.pause_reason.startswith("failing since 2026-11-01 09:45 UTC")
    clock.advance(hours=3)
    assert await feeds.poll_due() == []  # paused feeds are not polled


async def test_410_gone_pauses_the_feed_with_a_reason_and_tells_the_reviewers(
    feeds, server, clock, db
):
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    await feeds.set_review_channel(EDITOR, "discord", 555)
    server.statuses["kyodo"] = 410
    clock.advance(minutes=15)
    (report,) = await feeds.poll_due()
    assert report.outcome == "paused" and "410 Gone" in (report.error or "")
    (feed,) = await feeds.list_feeds(None)  # kept: a CDN's one wrong 410 removes nothing
    assert feed.status == "paused" and "410 Gone" in (feed.pause_reason or "")
    assert len(await feeds.queue(None)) == 3  # what it queued stays
    assert [(c, f.id) for c, f in await feeds.pauses_to_announce("discord")] == [(555, feed.id)]
    assert await feeds.claim_pause_notice(feed.id)
    assert not await feeds.claim_pause_notice(feed.id)  # told once, by one sweep
    assert await feeds.pauses_to_announce("discord") == []
    clock.advance(hours=1)
    assert await feeds.poll_due() == []  # paused: not polled until someone resumes it
    server.statuses.pop("kyodo")
    await feeds.pause_feed(EDITOR, feed.id, paused=False)
    (again,) = await feeds.poll_due()
    assert again.outcome == "unchanged"  # read again, with its validators


async def test_a_crashing_feed_does_not_stop_the_sweep(feeds, server, clock):
    await feeds.add_feed(EDITOR, server.url("kyodo"))
    await feeds.add_feed(EDITOR, server.url("mofa"))
    server.documents["kyodo"] = (b"\x00\xff not xml at all", "text/plain")
    server.serve_items(
        "mofa",
        "MOFA",
        [
            (
                "Japan, ROK hold vice-ministerial talks",
                "https://mofa.go.jp/x",
                "Sun, 30 Oct 2026 01:00:00 GMT",
            )
        ],
    )
    clock.advance(minutes=15)
    reports = sorted(await feeds.poll_due(), key=lambda r: r.feed_id)
    assert [r.outcome for r in reports] == ["failed", "ok"]
    assert "does not contain an RSS or Atom feed" in (reports[0].error or "")
    assert len(reports[1].new) == 1
