"""Reading commands through the real Application and the fake Bot API."""

from __future__ import annotations

from tests.harness.fake_telegram import BOT_USERNAME
from tests.telegram.conftest import GROUP, MEMBER_TG, Running


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
