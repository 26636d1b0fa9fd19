"""The review queue through SimCord: feeds added by a moderator, cards in the review
channel, Approve / Edit / Reject, and a member pressing a button."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.core.feeds.fetch import FetchPolicy, HostGate
from bot.discord.client import BriefBot
from tests.discord._support import (
    COUNTRIES,
    DATE,
    DOMAIN,
    KIND,
    SOURCES,
    TITLE,
    assert_no_pings,
    modal_values,
    prefilled,
    refusals,
    refused,
    second_step,
)
from tests.discord.conftest import NOW, World, modal_id, text_of
from tests.feeds.server import FeedServer, rss
from tests.helpers import FixedClock

DRILLS = "S. Korea, U.S., Japan agree to hold missile defense drills"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def simcord_bot(db_path: Path, clock: FixedClock) -> BriefBot:
    return BriefBot(Settings(database_path=db_path, feeds_allow_private=True), clock=clock)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = FeedServer()
    s.serve_fixture("yonhap", "yonhap_rss2.xml")
    s.serve_fixture("kyodo", "kyodo_atom.xml", "application/atom+xml")
    s.serve_fixture("page", "page.html", "text/html")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def review(world: World, server: FeedServer) -> Any:
    """Alpha's review channel set, and the two feeds added by its moderator."""
    feeds = world.env.bot.services.feeds
    feeds.fetcher.gate = HostGate(FetchPolicy(host_interval_s=0))  # one loopback host
    channel = world.alpha.create_text_channel("review")
    done = await world.mod.slash(world.general, "feed review-channel", channel=channel)
    assert "go to" in done.response.content
    for path in ("yonhap", "kyodo"):
        added = await world.mod.slash(world.general, "feed add", url=server.url(path))
        assert added.ephemeral and "Added feed" in added.response.content
    return channel


def _card(channel: Any, title: str) -> Any:
    for message in channel.history():
        if message.embeds and title in (message.embeds[0].title or ""):
            return message
    raise AssertionError(f"no card for {title}")


def _status(db_path: Path, title: str) -> str:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return str(
            conn.execute("SELECT status FROM candidates WHERE title = ?", (title,)).fetchone()[0]
        )
    finally:
        conn.close()


async def test_two_feeds_give_deduplicated_classified_cards(world, review, db_path) -> None:
    cards = [m for m in review.history() if m.embeds]
    assert len(cards) == 6  # 4 from Yonhap, 2 new from Kyodo, the drills merged
    drills = _card(review, DRILLS)
    body = drills.embeds[0].description or ""
    assert "**Countries** US JP KR" in body and "**Domain** security" in body
    assert "**Relevance** 100%" in body
    assert "Yonhap News Agency" in body and "Kyodo News+" in body  # both sources
    assert [c.label for row in drills.components for c in row.children] == [
        "Approve",
        "Edit",
        "Reject",
    ]
    assert "This server's review queue" in (drills.embeds[0].footer.text or "")
    assert assert_no_pings(world.env) > 0
    listed = await world.mod.slash(world.general, "queue")
    assert listed.ephemeral and "6 waiting" in text_of(listed)


async def test_approve_publishes_and_search_finds_it(world, review, db_path) -> None:
    pressed = await world.mod.click(_card(review, DRILLS), label="Approve")
    assert pressed.ephemeral
    assert "Approved: development **#" in pressed.response.content
    dev_id = pressed.response.content.split("**#")[1].split("**")[0]
    card = _card(review, DRILLS)
    assert not card.components and "Approved by mod as #" in (card.embeds[0].description or "")
    shown = await world.member.slash(world.general, "development show", id=dev_id)
    text = text_of(shown)
    assert "en.yna.co.kr" in text and "english.kyodonews.net" in text
    found = await world.member.slash(world.general, "search", query="missile defense drills")
    assert f"#{dev_id}" in text_of(found)
    brief = await world.member.slash(world.general, "brief", topic="trilateral")
    assert "missile defense drills" in text_of(brief)
    assert _status(db_path, DRILLS) == "approved"


async def test_a_member_pressing_a_button_is_refused_and_nothing_changes(
    world, review, db_path
) -> None:
    for label in ("Approve", "Reject", "Edit"):
        pressed = await world.member.click(_card(review, DRILLS), label=label)
        assert "Only moderators and editors can review" in refused(pressed)
    assert _status(db_path, DRILLS) == "pending"
    assert _card(review, DRILLS).components  # the card still has its buttons


async def test_reject_closes_the_card_and_the_story_never_returns(world, review, db_path):
    pressed = await world.mod.click(_card(review, DRILLS), label="Reject")
    assert "it will not return" in pressed.response.content
    assert "Rejected by mod" in (_card(review, DRILLS).embeds[0].description or "")
    assert _status(db_path, DRILLS) == "rejected"
    again = await world.mod.click(_card(review, "N. Korea fires"), label="Reject")
    assert again.ephemeral


async def test_edit_opens_the_add_form_prefilled_and_approves_the_edit(world, review, db_path):
    shown = await world.mod.click(_card(review, DRILLS), label="Edit")
    assert shown.modal is not None and shown.modal["title"].endswith("(1 of 2)")
    step_one = modal_values(shown)
    assert step_one[TITLE] == DRILLS and step_one[DATE] == "2026-10-30"
    assert "en.yna.co.kr" in step_one[SOURCES] and "english.kyodonews.net" in step_one[SOURCES]
    values = prefilled(shown)
    values[modal_id(shown, TITLE)] = "Seoul, Washington and Tokyo make missile drills regular"
    first = await world.mod.submit_modal(shown, values)
    assert _status(db_path, DRILLS) == "pending"  # nothing saved between the steps
    second = await second_step(world.mod, first)
    step_two = modal_values(second)
    assert step_two[COUNTRIES] == ["JP", "KR", "US"] and step_two[DOMAIN] == ["security"]
    assert step_two[KIND] == ["event"]
    chosen = prefilled(second)
    chosen[modal_id(second, DOMAIN)] = ["diplomacy"]
    done = await world.mod.submit_modal(second, chosen)
    assert "Approved as edited: development **#" in done.response.content
    dev_id = done.response.content.split("**#")[1].split("**")[0]
    dev = await world.member.slash(world.general, "development show", id=dev_id)
    assert "make missile drills regular" in text_of(dev) and "diplomacy" in text_of(dev)
    assert _status(db_path, DRILLS) == "approved"
    assert "Edited and approved by" in (_card(review, DRILLS).embeds[0].description or "")


async def test_edit_can_save_keeping_the_suggested_choices(world, review, db_path):
    shown = await world.mod.click(_card(review, DRILLS), label="Edit")
    # A second Edit form, opened before the first is saved, cannot approve it twice.
    other = await world.mod.click(_card(review, DRILLS), label="Edit")
    first = await world.mod.submit_modal(shown, prefilled(shown))
    done = await world.mod.click(first.response, label="Save, keeping those")
    assert "Approved as edited" in done.response.content
    assert _status(db_path, DRILLS) == "approved"
    late = await world.mod.submit_modal(other, prefilled(other))
    assert "already approved" in refused(late)
    assert [type(e).__name__ for e in refusals(world.env)] == ["Conflict"]


async def test_feed_commands_refuse_bad_input_and_members(world, server) -> None:
    bad = await world.mod.slash(world.general, "feed add", url="ftp://example.com/rss")
    assert "http:// or https://" in refused(bad).replace("\u200b", "")  # links unlinked
    page = await world.mod.slash(world.general, "feed add", url=server.url("page"))
    assert "is a web page, not a feed" in refused(page)
    member = await world.member.slash(world.general, "feed add", url=server.url("yonhap"))
    assert "moderators" in refused(member)
    queue = await world.member.slash(world.general, "queue")
    assert "moderators" in refused(queue)
    refusals(world.env)
    assert server.hits == {"page": 1}


async def test_feed_list_pause_and_remove(world, review) -> None:
    listed = await world.mod.slash(world.general, "feed list")
    text = text_of(listed)
    assert "#1** Yonhap News Agency" in text and "#2** Kyodo News+" in text
    paused = await world.mod.slash(world.general, "feed pause", id=1)
    assert "paused" in paused.response.content
    listed = await world.mod.slash(world.general, "feed list")
    assert "**Paused:** paused by mod" in text_of(listed)
    removed = await world.mod.slash(world.general, "feed remove", id=2)
    assert "Removed feed #2" in removed.response.content
    other = await world.beta_mod.slash(world.beta_general, "feed remove", id=1)
    assert "There is no feed #1 here" in refused(other)
    assert [type(e).__name__ for e in refusals(world.env)] == ["NotFound"]


async def test_the_sweep_job_polls_due_feeds_and_posts_new_cards(
    world, review, server, clock
) -> None:
    bot = world.env.bot
    cog = bot.get_cog("Feeds")
    digests = bot.get_cog("Digests")
    assert digests.scheduler.scheduler.get_job("feeds-sweep") is not None  # the shared one
    server.documents["kyodo"] = (
        rss(
            "Kyodo News+ | Politics",
            [
                (
                    "Japan, South Korea agree to resume defense vice-ministerial talks",
                    "https://english.kyodonews.net/news/2026/11/vice",
                    "Tue, 24 Nov 2026 09:00:00 GMT",
                )
            ],
        ),
        "application/rss+xml",
    )
    before = len([m for m in review.history() if m.embeds])
    await cog.sweep()  # not due yet: nothing read
    assert len([m for m in review.history() if m.embeds]) == before
    clock.advance(minutes=16)
    await cog.sweep()
    cards = [m for m in review.history() if m.embeds]
    assert len(cards) == before + 1
    assert "vice-ministerial talks" in (cards[-1].embeds[0].title or "")
    assert server.conditional_hits == 1  # Yonhap unchanged: a 304


async def test_an_approved_candidate_is_in_the_next_digest(world, review, clock) -> None:
    await world.mod.slash(world.general, "subscribe")
    clock.advance(hours=1)
    await world.mod.click(_card(review, DRILLS), label="Approve")
    clock.advance(minutes=1)
    preview = await world.mod.slash(world.general, "digest preview")
    assert preview.ephemeral and DRILLS in text_of(preview)


async def test_cards_keep_working_after_a_restart(world, review, db_path, clock) -> None:
    card = _card(review, DRILLS)
    old = world.env.bot
    await world.env.restart_bot(
        BriefBot(Settings(database_path=db_path, feeds_allow_private=True), clock=clock)
    )
    await old.services.feeds.fetcher.close()
    pressed = await world.mod.click(card, label="Approve")
    assert "Approved: development **#" in pressed.response.content
    assert _status(db_path, DRILLS) == "approved"
    # Nothing was posted twice: the new process found every card already posted.
    await world.env.bot.get_cog("Feeds").post_cards()
    assert len([m for m in review.history() if m.embeds]) == 6
