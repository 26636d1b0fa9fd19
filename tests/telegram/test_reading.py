"""Reading commands through the real Application and the fake Bot API."""

from __future__ import annotations

import functools
import json
import re

import pytest

from bot.core import lookup
from bot.core.topics import all_topics
from harness.fake_telegram import BOT_USERNAME, Sent
from storage import catalogue as catalogue_queries
from tests.helpers import EDITOR, draft
from tests.telegram.conftest import ADMIN_TG, EDITOR_TG, GROUP, MEMBER_TG, Running

OTHER_TG = 5550099


async def test_brief_in_a_private_chat_is_html_without_previews(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
    sent = await tg.fake.wait_sent(MEMBER_TG)
    assert sent[0].parse_mode == "HTML"
    assert sent[0].link_preview_off
    assert sent[0].plain.startswith("Japan")
    assert "Bottom line" in sent[0].plain
    assert tg.fake.refusals == []


async def test_help_lists_commands_and_menu_is_registered(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/help")
    sent = await tg.fake.wait_sent(MEMBER_TG)
    assert "/brief topic [period] [domain]" in sent[0].plain
    names = [c["command"] for c in tg.fake.commands]
    assert {"brief", "timeline", "search", "development", "help"} <= set(names)
    assert all(c["description"] for c in tg.fake.commands)


CURATING = ("/add", "/edit", "/retract", "/assess", "/cancel")


async def test_help_in_a_private_chat_lists_every_command_including_curating(
    tg: Running,
) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/help")
    (sent,) = await tg.fake.wait_sent(MEMBER_TG)
    lines = sent.plain.splitlines()
    for name in (*CURATING, "/subscribe", "/digest", "/history"):
        assert any(line.startswith(name + " ") for line in lines), name


async def test_help_in_a_group_lists_what_the_asker_may_use(tg: Running) -> None:
    tg.fake.members[(GROUP, ADMIN_TG)] = "administrator"
    tg.fake.message(GROUP, MEMBER_TG, f"/help@{BOT_USERNAME}")
    (member,) = await tg.fake.wait_sent(GROUP)
    assert "/brief" in member.plain and "/add" not in member.plain
    tg.fake.message(GROUP, ADMIN_TG, f"/help@{BOT_USERNAME}")
    admin = (await tg.fake.wait_sent(GROUP, 2))[1]
    assert all(name in admin.plain for name in CURATING)


async def test_start_is_a_short_welcome_with_the_three_most_useful_commands(
    tg: Running,
) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/start")
    (sent,) = await tg.fake.wait_sent(MEMBER_TG)
    assert len(sent.plain) < 600
    commands = [line.split()[0] for line in sent.plain.splitlines() if line.startswith("/")]
    assert commands == ["/brief", "/timeline", "/search"]
    assert "/help" in sent.plain


async def test_administrators_and_private_chats_get_the_full_command_menu(tg: Running) -> None:
    menus = tg.fake.scoped_menus
    for language in ("", "ja", "ko"):
        members = {c["command"] for c in menus[("default", language)]}
        admins = {c["command"] for c in menus[("all_chat_administrators", language)]}
        private = {c["command"] for c in menus[("all_private_chats", language)]}
        curating = {"add", "edit", "retract", "assess", "cancel"}
        assert curating <= admins and curating <= private
        assert not curating & members and "brief" in members


async def test_brief_addressed_to_the_bot_in_a_group(tg: Running) -> None:
    tg.fake.message(GROUP, MEMBER_TG, f"/brief@{BOT_USERNAME} trilateral")
    sent = await tg.fake.wait_sent(GROUP)
    assert "Bottom line" in sent[0].plain


async def test_missing_topic_gets_a_usage_line_privately(tg: Running) -> None:
    tg.fake.message(GROUP, MEMBER_TG, f"/brief@{BOT_USERNAME}")
    sent = await tg.fake.wait_sent(MEMBER_TG)
    assert sent[0].plain.startswith("usage: /brief topic")
    assert GROUP not in tg.fake.sent


async def test_timeline_pages_turn_only_for_the_requester(tg: Running) -> None:
    for number in range(8):
        await tg.services.catalogue.add(EDITOR, draft(title=f"Extra {number}"))
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline japan-korea")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert sent.reply_markup is not None
    assert "page 1 of" in sent.plain
    button = sent.reply_markup["inline_keyboard"][0][-1]
    assert button["text"].startswith("Later")
    # Someone else presses: an alert for them, the page stays.
    tg.fake.press(MEMBER_TG, OTHER_TG, sent.message_id, button["callback_data"])
    await tg.fake.wait_for(lambda: tg.fake.callback_answers)
    assert tg.fake.callback_answers[0]["show_alert"] in ("true", True)
    assert "Only the person who asked" in tg.fake.callback_answers[0]["text"]
    assert sent.edits == 0
    # The requester presses: the same message shows page 2.
    tg.fake.press(MEMBER_TG, MEMBER_TG, sent.message_id, button["callback_data"])
    await tg.fake.wait_for(lambda: sent.edits == 1)
    assert "page 2 of" in sent.plain
    assert len(tg.fake.sent[MEMBER_TG]) == 1


async def _paged_timeline(tg: Running, command: str = "/timeline japan-korea") -> Sent:
    """A timeline of two pages or more asked by MEMBER_TG in their private chat."""
    for number in range(14):
        await tg.services.catalogue.add(
            EDITOR, draft(title=f"Extra {number}", date=f"2023-05-{number + 1:02d}")
        )
    tg.fake.message(MEMBER_TG, MEMBER_TG, command)
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert sent.reply_markup is not None, sent.plain
    return sent


async def test_timeline_with_full_width_dates_has_buttons_telegram_accepts(tg: Running) -> None:
    # Typed on a Japanese keyboard: full-width digits and dashes (NFKC folds them).
    sent = await _paged_timeline(
        tg, "/timeline japan-korea ２０２３－０１－０１ ２０２３－１２－３１"
    )
    button = sent.reply_markup["inline_keyboard"][0][-1]  # type: ignore[index]
    # The page, the canonical query, and where the next page starts (after a development).
    assert re.fullmatch(r"tl:1:japan-korea:2023-01-01:2023-12-31:a\d+", button["callback_data"])
    tg.fake.press(MEMBER_TG, MEMBER_TG, sent.message_id, button["callback_data"])
    await tg.fake.wait_for(lambda: sent.edits == 1)
    assert "page 2 of" in sent.plain
    assert tg.fake.refusals == []


def _edited(sent: Sent, times: int) -> bool:
    return sent.edits == times


async def test_timeline_pages_go_later_and_back_through_ties_on_date(tg: Running) -> None:
    for number in range(20):  # all on one day: the pages are cut between equal dates
        await tg.services.catalogue.add(
            EDITOR, draft(title=f"Same day {number:02d}", date="2023-05-01")
        )
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline japan-korea")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    seen = [sent.plain]
    assert "page 1 of 3" in sent.plain and "30 developments" in sent.plain
    for page in (2, 3):
        later = sent.reply_markup["inline_keyboard"][0][-1]  # type: ignore[index]
        assert later["text"].startswith("Later")
        tg.fake.press(MEMBER_TG, MEMBER_TG, sent.message_id, later["callback_data"])
        await tg.fake.wait_for(functools.partial(_edited, sent, page - 1))
        assert f"page {page} of 3" in sent.plain
        seen.append(sent.plain)
    titles = [t for text in seen for t in re.findall(r"Same day \d\d", text)]
    assert titles == [f"Same day {n:02d}" for n in range(20)]  # each once, in order
    assert [b["text"] for b in sent.reply_markup["inline_keyboard"][0]] == ["◀ Earlier"]  # type: ignore[index]
    earlier = sent.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    tg.fake.press(MEMBER_TG, MEMBER_TG, sent.message_id, earlier["callback_data"])
    await tg.fake.wait_for(lambda: sent.edits == 3)
    assert sent.plain == seen[1]


async def test_a_long_timeline_says_more_than_instead_of_counting_it_all(
    tg: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "COUNT_CAP", 12)
    for number in range(8):
        await tg.services.catalogue.add(EDITOR, draft(title=f"Extra {number}"))
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline japan-korea")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert "More than 12 developments — narrow with from/to" in sent.plain
    assert "page 1 ·" not in sent.plain and "page 1\n" in sent.plain + "\n"
    assert "page 1 of" not in sent.plain


async def test_a_forged_page_button_from_another_member_is_refused(tg: Running) -> None:
    sent = await _paged_timeline(tg)
    # Another member crafts data naming themselves (the old format carried the owner id)
    # and in the current format: neither turns the asker's page.
    for forged in (f"tl:{OTHER_TG}:1:japan-korea::", "tl:1:japan-korea::"):
        tg.fake.press(MEMBER_TG, OTHER_TG, sent.message_id, forged)
    await tg.fake.wait_for(lambda: len(tg.fake.callback_answers) == 2)
    for answered in tg.fake.callback_answers:
        assert answered["show_alert"] in ("true", True)
        assert "Only the person who asked" in answered["text"]
    assert sent.edits == 0


async def test_page_data_is_checked_again_when_pressed(tg: Running) -> None:
    sent = await _paged_timeline(tg)
    for crafted in (
        "tl:1:no-such-topic:::a12",
        "tl:1:japan-korea:2023-13-01::a12",
        "tl:1:japan-korea:２０２３::a12",  # valid once normalised, but not data the bot made
        "tl:x:japan-korea:::a12",
        "tl:1:japan-korea::",
        "tl:1:japan-korea:::c12",
        "tl:1:japan-korea:::a-1",
    ):
        tg.fake.press(MEMBER_TG, MEMBER_TG, sent.message_id, crafted)
    await tg.fake.wait_for(lambda: len(tg.fake.callback_answers) == 7)
    assert all(a["show_alert"] in ("true", True) for a in tg.fake.callback_answers)
    assert "no topic called 'no-such-topic'" in tg.fake.callback_answers[0]["text"]
    assert "not a real date" in tg.fake.callback_answers[1]["text"]
    assert sent.edits == 0


async def test_page_buttons_the_bot_no_longer_knows_ask_to_start_again(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
    brief = (await tg.fake.wait_sent(MEMBER_TG))[0]
    tg.fake.press(MEMBER_TG, MEMBER_TG, brief.message_id, "tl:1:japan-korea::")
    answered = await tg.fake.wait_for(lambda: tg.fake.callback_answers)
    assert "ask again with /timeline" in answered[0]["text"]
    assert brief.edits == 0


async def test_inline_mode_offers_the_brief(tg: Running) -> None:
    tg.fake.inline(MEMBER_TG, "japan-korea")
    answered = await tg.fake.wait_for(lambda: tg.fake.inline_answers)
    results = answered[0]["results"]
    assert results[0]["id"] == "japan-korea"
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert "Bottom line" in content["message_text"]
    assert content["link_preview_options"]["is_disabled"] is True


async def test_inline_mode_suggests_topics_for_partial_text(tg: Running) -> None:
    tg.fake.inline(MEMBER_TG, "korea")
    answered = await tg.fake.wait_for(lambda: tg.fake.inline_answers)
    assert len(answered[0]["results"]) >= 2


async def test_wrong_arguments_get_usage_lines(tg: Running) -> None:
    for text in (
        "/brief japan-korea soon",
        "/timeline",
        "/search",
        "/development",
        "/development x",
    ):
        tg.fake.message(MEMBER_TG, MEMBER_TG, text)
    sent = await tg.fake.wait_sent(MEMBER_TG, 5)
    texts = sorted(s.plain for s in sent)
    assert sum(t.startswith("usage: ") for t in texts) == 4, texts
    assert any("id" in t for t in texts)


async def test_unknown_topic_suggests(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japn-korea")
    sent = await tg.fake.wait_sent(MEMBER_TG)
    assert "There is no topic called" in sent[0].plain


async def test_development_and_search(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/development 1")
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/search summit")
    sent = await tg.fake.wait_sent(MEMBER_TG, 2)
    texts = " ".join(s.plain for s in sent)
    assert "#1 · " in texts
    assert "Search — summit" in texts


async def test_history_is_for_administrators_and_editors(tg: Running) -> None:
    tg.fake.members[(GROUP, ADMIN_TG)] = "administrator"
    tg.fake.message(GROUP, MEMBER_TG, f"/history@{BOT_USERNAME} 1")
    refusal = (await tg.fake.wait_sent(MEMBER_TG))[0].plain
    assert "Only moderators and editors" in refusal
    tg.fake.message(GROUP, ADMIN_TG, "/history 1")
    tg.fake.message(EDITOR_TG, EDITOR_TG, "/history 1")
    assert (await tg.fake.wait_sent(GROUP))[0].plain.startswith("History of #1")
    assert (await tg.fake.wait_sent(EDITOR_TG))[0].plain.startswith("History of #1")
    asked = [p for m, p in tg.fake.calls if m == "getChatMember"]
    assert len(asked) == 2  # asked each time, never cached


async def test_the_brief_has_the_discord_brief_s_sections_in_order(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief trilateral")
    text = (await tg.fake.wait_sent(MEMBER_TG))[0].plain
    order = [
        text.index(heading)
        for heading in ("Bottom line", "Key developments", "Context", "What to watch", "Sources")
    ]
    assert order == sorted(order)
    assert text.startswith("US–Japan–South Korea — 📈 improving")


async def test_a_refusal_in_a_group_falls_back_to_a_reply_when_the_user_never_started_the_bot(
    tg: Running,
) -> None:
    tg.fake.faults[OTHER_TG] = "blocked"  # a private message to them answers 403
    tg.fake.message(GROUP, OTHER_TG, "/timeline")
    (reply,) = await tg.fake.wait_sent(GROUP)
    assert reply.plain.startswith("usage: /timeline topic")


async def test_the_brief_says_what_the_bottom_line_is_based_on(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    head = sent.plain.split("Key developments")[0]
    assert "<i>Based on:</i> <i>The Deepening Relations" in sent.text  # a citation, no link
    assert "Based on: The Deepening Relations in the North Pacific" in head
    assert "Yonhap News Agency" in head


async def test_searching_too_often_gets_a_wait_answer(tg: Running) -> None:
    """/search is costly: the sixth in a row answers "wait N s" instead of searching (or
    staying silent); another member in the same chat still searches."""
    for _ in range(6):
        tg.fake.message(MEMBER_TG, MEMBER_TG, "/search summit")
    sent = await tg.fake.wait_sent(MEMBER_TG, 6)
    texts = [s.plain for s in sent]
    assert sum(t.startswith("Search — summit") for t in texts) == 5, texts
    assert any("Too many search requests just now: wait 2 s and try again." in t for t in texts)
    tg.fake.message(EDITOR_TG, EDITOR_TG, "/search summit")
    assert (await tg.fake.wait_sent(EDITOR_TG))[0].plain.startswith("Search — summit")
    assert tg.fake.refusals == []


async def test_inline_queries_too_often_get_a_wait_button(tg: Running) -> None:
    """An inline query composes briefs: past the allowance the answer is no results and a
    button saying how long to wait (there is no chat to answer in)."""
    for _ in range(13):
        tg.fake.inline(MEMBER_TG, "japan-korea")
    await tg.fake.wait_for(lambda: len(tg.fake.inline_answers) == 13)
    refused = [a for a in tg.fake.inline_answers if not a["results"]]
    assert len(refused) == 1
    button = json.loads(refused[0]["button"])
    assert button["text"] == "Too many inline brief requests just now: wait 1 s and try again."
    assert refused[0]["cache_time"] in (0, "0")


async def test_an_empty_brief_suggests_the_shortest_period_that_shows_something(
    tg: Running,
) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea 7d")
    (week,) = await tg.fake.wait_sent(MEMBER_TG)
    assert "Nothing recorded for Japan–South Korea in the last 7 days." in week.plain
    assert "Try /brief japan-korea 30d (last 30 days)." in week.plain
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief russia all society")
    sent = await tg.fake.wait_sent(MEMBER_TG, 2)
    assert "Nothing recorded for Russia in society yet. Try /brief russia all (all time)." in (
        sent[1].plain
    )
    assert "the all time" not in sent[1].plain


async def test_key_developments_say_their_order(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
    (sent,) = await tg.fake.wait_sent(MEMBER_TG)
    assert "Key developments · the most important, newest first" in sent.plain


async def test_topics_by_their_japanese_and_korean_names(tg: Running) -> None:
    for number, (typed, title) in enumerate(
        (("북한", "North Korea"), ("日韓", "Japan–South Korea"), ("한일", "Japan–South Korea")),
        start=1,
    ):
        tg.fake.message(MEMBER_TG, MEMBER_TG, f"/brief {typed}")
        sent = await tg.fake.wait_sent(MEMBER_TG, number)
        assert sent[-1].plain.startswith(title)
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline 日米韓")
    sent = await tg.fake.wait_sent(MEMBER_TG, 4)
    assert "US–Japan–South Korea" in sent[-1].plain


async def test_an_empty_inline_query_offers_every_topic(tg: Running) -> None:
    tg.fake.inline(MEMBER_TG, "")
    answered = await tg.fake.wait_for(lambda: tg.fake.inline_answers)
    ids = [r["id"] for r in answered[0]["results"]]
    assert ids == [t.slug for t in all_topics()]
    tg.fake.inline(MEMBER_TG, "한미일")
    again = await tg.fake.wait_for(
        lambda: len(tg.fake.inline_answers) > 1 and tg.fake.inline_answers
    )
    assert again[1]["results"][0]["id"] == "trilateral"


async def test_a_search_past_its_time_budget_is_answered_too_broad(
    tg: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_queries, "SEARCH_BUDGET_S", 0.0)
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/search summit")
    sent = await tg.fake.wait_sent(MEMBER_TG)
    assert "too broad to answer quickly" in sent[0].plain
