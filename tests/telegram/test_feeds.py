"""The review queue from Telegram: /feed and /queue for chat administrators and editors,
cards in the chat with Approve / Approve + edit / Reject buttons that only the chat's
administrators (asked of Telegram on every press) and editors can use."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.feeds.fetch import FetchPolicy, HostGate
from bot.core.rendering import Renderer
from bot.domain.feeds import Candidate, CandidateSource
from bot.domain.scope import Scope
from bot.services import open_services
from bot.telegram.app import FEEDS_SWEEP_ID, TelegramBot
from bot.telegram.common import TelegramConfig
from bot.telegram.feeds import card_text
from harness.fake_telegram import TOKEN, FakeTelegram, Sent, parse_html
from tests.feeds.conftest import FEEDS_NOW
from tests.feeds.server import FeedServer, rss
from tests.helpers import FixedClock
from tests.telegram.conftest import ADMIN_TG, EDITOR_TG, GROUP, MEMBER_TG, Running

DRILLS = "S. Korea, U.S., Japan agree to hold missile defense drills"
CHAT = Scope.telegram(GROUP)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = FeedServer()
    s.serve_fixture("yonhap", "yonhap_rss2.xml")
    s.serve_fixture("kyodo", "kyodo_atom.xml", "application/atom+xml")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def tgf(fake: FakeTelegram, db_path: Path) -> AsyncIterator[Running]:
    """The Telegram front end, feeds allowed on the loopback server, the clock a day after
    the fixtures' items; the group's administrator known to the fake."""
    clock = FixedClock(FEEDS_NOW)
    settings = Settings(database_path=db_path, feeds_allow_private=True)
    services = await open_services(settings, clock=clock)
    services.feeds.fetcher.gate = HostGate(FetchPolicy(host_interval_s=0))
    config = TelegramConfig(token=TOKEN, api_url=fake.base_url, editor_ids=frozenset({EDITOR_TG}))
    bot = TelegramBot(services, config)
    fake.chat_limit = None  # several cards at once; Telegram's per-chat pace is tested elsewhere
    fake.members[(GROUP, ADMIN_TG)] = "administrator"
    await bot.start(poll_timeout=1)
    yield Running(fake, bot, services)
    await bot.stop()
    await services.close()


def cards(fake: FakeTelegram) -> list[Sent]:
    return [s for s in fake.sent[GROUP] if s.plain.startswith("Candidate #")]


def card(fake: FakeTelegram, title: str) -> Sent:
    found = [s for s in cards(fake) if title in s.plain.splitlines()[0]]
    assert found, [s.plain.splitlines()[0] for s in cards(fake)]
    return found[0]


def buttons(sent: Sent) -> dict[str, str]:
    assert sent.reply_markup is not None, sent.plain
    return {
        b["text"]: b["callback_data"] for row in sent.reply_markup["inline_keyboard"] for b in row
    }


def status(db_path: Path, title: str) -> str:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT status FROM candidates WHERE title = ?", (title,)).fetchone()
        return str(row[0])
    finally:
        conn.close()


async def added(tg: Running, server: FeedServer, *paths: str) -> None:
    for number, path in enumerate(paths, start=1):
        tg.fake.message(GROUP, ADMIN_TG, f"/feed add {server.url(path)}")
        await tg.fake.wait_for(
            lambda number=number: (  # type: ignore[misc]
                sum("Added feed" in t for t in tg.fake.texts(GROUP)) == number
            )
        )


async def test_an_administrator_adds_feeds_and_cards_arrive_in_the_chat(
    tgf: Running, server: FeedServer
) -> None:
    fake = tgf.fake
    await added(tgf, server, "yonhap", "kyodo")
    reply = next(t for t in fake.texts(GROUP) if "Added feed #1" in t)
    assert "this chat's queue: 6 items, 4 new candidates" in reply
    await fake.wait_for(lambda: len(cards(fake)) == 6)  # 4 from Yonhap, 2 more from Kyodo
    drills = card(fake, DRILLS)
    assert "Countries</b> US JP KR" in drills.text and "Domain</b> security" in drills.text
    assert "Yonhap News Agency" in drills.plain and "Kyodo News+" in drills.plain  # merged
    assert "This chat's review queue" in drills.plain
    assert list(buttons(drills)) == ["Approve", "Approve + edit", "Reject"]
    fake.message(GROUP, ADMIN_TG, "/queue")
    await fake.wait_for(
        lambda: any(t.startswith("This chat's review queue") for t in fake.texts(GROUP))
    )
    listing = next(t for t in fake.texts(GROUP) if t.startswith("This chat's review queue"))
    assert "6 waiting" in listing and DRILLS in listing
    fake.message(GROUP, ADMIN_TG, "/feed list")
    await fake.wait_for(lambda: any(t.startswith("Feeds of this chat") for t in fake.texts(GROUP)))
    assert "2 feeds" in fake.texts(GROUP)[-1]
    # Another chat with the same feeds would have its own queue: this one is the chat's.
    assert {c.scope for c in await tgf.services.feeds.queue(CHAT)} == {CHAT}
    assert fake.refusals == []


async def test_only_administrators_and_editors_press_the_buttons(
    tgf: Running, server: FeedServer, db_path: Path
) -> None:
    fake = tgf.fake
    await added(tgf, server, "yonhap")
    await fake.wait_for(lambda: len(cards(fake)) == 4)
    drills = card(fake, DRILLS)
    fake.press(GROUP, MEMBER_TG, drills.message_id, buttons(drills)["Approve"])
    await fake.wait_for(lambda: fake.callback_answers)
    alert = fake.callback_answers[0]
    assert alert["show_alert"] and "administrators" in alert["text"]
    assert status(db_path, DRILLS) == "pending"
    # Telegram is asked on every press: the member made administrator can now approve.
    fake.members[(GROUP, MEMBER_TG)] = "administrator"
    fake.press(GROUP, MEMBER_TG, drills.message_id, buttons(drills)["Approve"])
    await fake.wait_for(lambda: "Approved by" in drills.plain)
    assert drills.reply_markup is None and status(db_path, DRILLS) == "approved"
    dev_id = int(drills.plain.split("Approved by")[1].split("#")[1].split()[0])
    dev = await tgf.services.catalogue.show(dev_id, CHAT)
    assert dev.scope == CHAT and len(dev.sources) == 1
    # Pressing a decided card again changes nothing.
    fake.press(
        GROUP, ADMIN_TG, drills.message_id, f"feedq:reject:{drills.plain.split('#')[1].split()[0]}"
    )
    await fake.wait_for(lambda: len(fake.callback_answers) == 3)
    assert "already approved" in fake.callback_answers[-1]["text"]


async def test_reject_and_approve_plus_edit(
    tgf: Running, server: FeedServer, db_path: Path
) -> None:
    fake = tgf.fake
    await added(tgf, server, "yonhap")
    await fake.wait_for(lambda: len(cards(fake)) == 4)
    first, second = cards(fake)[:2]
    fake.press(GROUP, ADMIN_TG, first.message_id, buttons(first)["Reject"])
    await fake.wait_for(lambda: "Rejected by" in first.plain)
    title = first.plain.splitlines()[0].split(" · ", 1)[1]
    assert status(db_path, title) == "rejected"
    fake.press(GROUP, ADMIN_TG, second.message_id, buttons(second)["Approve + edit"])
    await fake.wait_for(lambda: any("To change a field" in t for t in fake.texts(GROUP)))
    prompt = next(s for s in fake.sent[GROUP] if "To change a field" in s.plain)
    line = next(x for x in prompt.plain.splitlines() if " title " in x)
    dev_id = int(line.split()[1])
    fake.message(GROUP, ADMIN_TG, f"/edit {dev_id} title Allies make missile drills regular")
    await fake.wait_for(lambda: any(f"Updated #{dev_id}" in t for t in fake.texts(GROUP)))
    dev = await tgf.services.catalogue.show(dev_id, CHAT)
    assert dev.title == "Allies make missile drills regular"
    assert fake.refusals == []


async def test_the_sweep_posts_cards_of_new_items(tgf: Running, server: FeedServer) -> None:
    fake = tgf.fake
    server.serve_items(
        "live",
        "Live wire",
        [
            (
                "Seoul and Tokyo resume summit talks",
                "https://w.example/1",
                "Sat, 31 Oct 2026 08:00:00 GMT",
            )
        ],
    )
    await added(tgf, server, "live")
    await fake.wait_for(lambda: len(cards(fake)) == 1)
    server.documents["live"] = (
        rss(
            "Live wire",
            [
                (
                    "Japan and South Korea sign a currency swap deal",
                    "https://w.example/2",
                    "Sat, 31 Oct 2026 09:00:00 GMT",
                ),
                (
                    "Seoul and Tokyo resume summit talks",
                    "https://w.example/1",
                    "Sat, 31 Oct 2026 08:00:00 GMT",
                ),
            ],
        ),
        "application/rss+xml",
    )
    jobs = tgf.services.digests.scheduler.scheduler
    assert jobs.get_job(FEEDS_SWEEP_ID) is not None  # every minute on the shared scheduler
    assert await tgf.bot.sweep_feeds() == 0  # not due yet
    tgf.services.clock.advance(minutes=15)  # type: ignore[attr-defined]
    assert await tgf.bot.sweep_feeds() == 1
    assert "currency swap" in cards(fake)[-1].plain


async def test_members_and_bad_input_are_refused_privately(
    tgf: Running, server: FeedServer
) -> None:
    fake = tgf.fake
    fake.message(GROUP, MEMBER_TG, f"/feed add {server.url('yonhap')}")
    fake.message(GROUP, MEMBER_TG, "/queue")
    fake.message(GROUP, ADMIN_TG, "/feed add ftp://example.com/rss")
    fake.message(GROUP, ADMIN_TG, "/feed remove abc")
    fake.message(GROUP, ADMIN_TG, "/feed frobnicate")
    fake.message(GROUP, ADMIN_TG, "/queue global")  # an administrator, not an editor
    member = await fake.wait_sent(MEMBER_TG, 2)
    assert all("administrators" in m.plain or "moderators" in m.plain for m in member)
    admin = {m.plain.replace("\u200b", "") for m in await fake.wait_sent(ADMIN_TG, 4)}
    for start in (
        "id: 'abc' is not a feed number",
        "Only editors of the bot can see the global queue",
        "url: must start with http:// or https://",
        "usage: /feed add URL",
    ):
        assert any(text.startswith(start) for text in admin), (start, admin)
    assert server.hits == {} and await tgf.services.feeds.list_feeds(CHAT) == []
    assert GROUP not in fake.sent  # nothing said in the group


async def test_pause_remove_and_the_global_queue_for_editors(
    tgf: Running, server: FeedServer
) -> None:
    fake = tgf.fake
    await added(tgf, server, "yonhap")
    fake.message(GROUP, ADMIN_TG, "/feed pause 1")
    await fake.wait_for(lambda: any("paused." in t for t in fake.texts(GROUP)))
    assert (await tgf.services.feeds.list_feeds(CHAT))[0].status == "paused"
    fake.message(GROUP, ADMIN_TG, "/feed remove 1")
    await fake.wait_for(lambda: any("Removed feed #1" in t for t in fake.texts(GROUP)))
    # An editor (not an administrator here) keeps the global queue, reviewed in this chat.
    fake.message(GROUP, EDITOR_TG, "/feed review global")
    await fake.wait_for(lambda: any("global queue are posted" in t for t in fake.texts(GROUP)))
    fake.message(GROUP, EDITOR_TG, f"/feed add {server.url('kyodo')} global")
    await fake.wait_for(lambda: any("the global queue: " in t for t in fake.texts(GROUP)))
    await fake.wait_for(lambda: any("Global review queue" in c.plain for c in cards(fake)))
    global_card = next(c for c in cards(fake) if "Global review queue" in c.plain)
    fake.press(GROUP, ADMIN_TG, global_card.message_id, buttons(global_card)["Approve"])
    await fake.wait_for(lambda: fake.callback_answers)
    assert "editors" in fake.callback_answers[-1]["text"]  # the chat's admin: not global
    fake.press(GROUP, EDITOR_TG, global_card.message_id, buttons(global_card)["Approve"])
    await fake.wait_for(lambda: "Approved by" in global_card.plain)


async def test_approving_a_candidate_never_stores_search_markers(
    tgf: Running, server: FeedServer, db_path: Path
) -> None:
    """A feed item carrying search's private hit markers (U+E000/U+E001) is approved
    through the same validation as typed input: the markers are not stored, so a /search
    showing that row is HTML Telegram accepts."""
    fake = tgf.fake
    title = "Allies plan \ue000zebrafish\ue001 drills near Jeju"
    server.serve_items(
        "marks", "Marks wire", [(title, "https://w.example/marks", "Sat, 31 Oct 2026 08:00:00 GMT")]
    )
    await added(tgf, server, "marks")
    await fake.wait_for(lambda: len(cards(fake)) == 1)
    found = cards(fake)[0]
    fake.press(GROUP, ADMIN_TG, found.message_id, buttons(found)["Approve"])
    await fake.wait_for(lambda: "Approved by" in found.plain)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        stored = conn.execute(
            "SELECT title, summary FROM developments WHERE title LIKE '%zebrafish%'"
        ).fetchall()
    finally:
        conn.close()
    assert stored and not any("\ue000" in v or "\ue001" in v for row in stored for v in row)
    before = len(fake.sent[GROUP])
    fake.message(GROUP, MEMBER_TG, "/search zebrafish")
    await fake.wait_for(lambda: len(fake.sent[GROUP]) > before or fake.refusals)
    assert fake.refusals == []
    assert "<b>zebrafish</b>" in fake.sent[GROUP][-1].text
    assert fake.refusals == []


async def test_a_feed_item_with_an_over_long_link_is_skipped(
    tgf: Running, server: FeedServer
) -> None:
    """Feed links obey URL_MAX like every other link: an item whose link is longer is
    skipped (and said so), never stored as a candidate or a source."""
    fake = tgf.fake
    long_link = "https://w.example/" + "a" * 4800
    server.serve_items(
        "long",
        "Long wire",
        [
            (
                "Japan and South Korea sign a long-link accord",
                long_link,
                "Sat, 31 Oct 2026 08:00:00 GMT",
            ),
            (
                "Japan and South Korea sign a short accord",
                "https://w.example/s",
                "Sat, 31 Oct 2026 08:00:00 GMT",
            ),
        ],
    )
    await added(tgf, server, "long")
    await fake.wait_for(lambda: len(cards(fake)) == 1)
    assert "short accord" in cards(fake)[0].plain
    assert "skipped 1 link over 500 characters" in fake.texts(GROUP)[0]
    waiting = await tgf.services.feeds.queue(CHAT)
    assert all(len(s.link) <= 500 for c in waiting for s in c.sources)
    assert fake.refusals == []


def test_a_review_card_with_long_sources_still_shows_them() -> None:
    """Eight sources with long (but allowed) links make a card longer than one message:
    the card lists as many as fit and counts the rest, instead of losing them all to a
    second part that is never sent."""
    sources = tuple(
        CandidateSource(
            link=f"https://news{i}.example/{'story-' * 78}{i}",
            title=f"Japan and South Korea agree on missile drills, report {i} " + "x" * 80,
            publisher=f"Wire {i}",
            published_on="2026-10-31",
            seen_on="2026-10-31",
        )
        for i in range(8)
    )
    c = Candidate(
        id=7,
        scope=CHAT,
        title="Japan and South Korea agree on missile drills",
        summary="S" * 1000,
        occurred_on="2026-10-31",
        date_precision="day",
        date_from_feed=True,
        countries=("JP", "KR"),
        domain="security",
        relevance=0.9,
        status="pending",
        created_at="2026-11-01T00:00:00Z",
        sources=sources,
    )
    text = card_text(Renderer("telegram"), c)
    shown = parse_html(text)
    assert "Sources" in shown and "report 0" in shown
    listed = sum(f"report {i}" in shown for i in range(8))
    assert f"… and {8 - listed} more (all are kept when approved)" in shown
    assert "This chat's review queue" in shown  # the card is whole


async def test_a_410_pauses_the_feed_and_the_chat_is_told_once(
    tgf: Running, server: FeedServer
) -> None:
    fake = tgf.fake
    await added(tgf, server, "kyodo")
    server.statuses["kyodo"] = 410
    tgf.services.clock.advance(minutes=15)  # type: ignore[attr-defined]
    await tgf.bot.sweep_feeds()  # the bot's own sweep job may be the one that tells
    await fake.wait_for(lambda: any("was paused" in t for t in fake.texts(GROUP)))
    told = [t for t in fake.texts(GROUP) if "was paused" in t]
    assert len(told) == 1, fake.texts(GROUP)
    assert told[0].startswith("Feed #1 · Kyodo News+ | Politics was paused: 410 Gone")
    assert "/feed pause 1 resume" in told[0]
    (feed,) = await tgf.services.feeds.list_feeds(Scope("telegram", GROUP))
    assert feed.status == "paused"  # kept, not deleted
    tgf.services.clock.advance(hours=1)  # type: ignore[attr-defined]
    await tgf.bot.sweep_feeds()
    assert len([t for t in fake.texts(GROUP) if "was paused" in t]) == 1  # told once
