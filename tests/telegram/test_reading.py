"""Reading commands through the real Application and the fake Bot API."""

from __future__ import annotations

import pytest

from harness.fake_telegram import BOT_USERNAME
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
    assert {"brief", "timeline", "search", "development", "history", "help"} <= set(names)
    assert all(c["description"] for c in tg.fake.commands)


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


async def test_a_search_past_its_time_budget_is_answered_too_broad(
    tg: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_queries, "SEARCH_BUDGET_S", 0.0)
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/search summit")
    sent = await tg.fake.wait_sent(MEMBER_TG)
    assert "too broad to answer quickly" in sent[0].plain
