"""Nobody is left without an answer: a plain message in a private chat gets a one-line hint,
and a refusal that cannot reach a member privately is a short reply in the group."""

from __future__ import annotations

import json

import pytest

from harness.fake_telegram import BOT_USERNAME
from tests.telegram.conftest import GROUP, MEMBER_TG, Running

STRANGER_TG = 5550077


@pytest.mark.parametrize("fault", ["never_started", "not_found"])
async def test_a_refused_command_in_a_group_is_answered_there_when_the_member_never_opened_the_bot(
    tg: Running, fault: str
) -> None:
    fake = tg.fake
    fake.faults[STRANGER_TG] = fault  # Telegram refuses a private message to them
    fake.message(GROUP, STRANGER_TG, f"/subscribe@{BOT_USERNAME} weekly")
    (reply,) = await fake.wait_sent(GROUP)
    assert "administrator" in reply.plain.lower()
    assert len(reply.plain) < 200  # short
    (params,) = [p for m, p in fake.calls if m == "sendMessage" and int(p["chat_id"]) == GROUP]
    assert json.loads(params["reply_parameters"])["message_id"]  # a reply to the command
    assert fake.texts(STRANGER_TG) == []


async def test_a_plain_message_in_a_private_chat_gets_a_one_line_hint(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "hello, what can you do?")
    (hint,) = await tg.fake.wait_sent(MEMBER_TG)
    assert "\n" not in hint.plain.strip()
    assert "/help" in hint.plain and "/brief" in hint.plain


async def test_the_hint_is_in_the_senders_language(tg: Running) -> None:
    tg.fake.languages[MEMBER_TG] = "ko"
    tg.fake.message(MEMBER_TG, MEMBER_TG, "북한")
    (hint,) = await tg.fake.wait_sent(MEMBER_TG)
    assert "/help" in hint.plain and "명령" in hint.plain


async def test_a_plain_message_in_a_group_gets_no_hint(tg: Running) -> None:
    tg.fake.message(GROUP, MEMBER_TG, "good morning all")
    tg.fake.message(GROUP, MEMBER_TG, f"/brief@{BOT_USERNAME} trilateral")
    (only,) = await tg.fake.wait_sent(GROUP)
    assert "Bottom line" in only.plain


async def test_a_members_refusal_names_telegram_administrators_not_discord_roles(
    tg: Running,
) -> None:
    tg.fake.message(GROUP, MEMBER_TG, f"/add@{BOT_USERNAME}")
    (refusal,) = await tg.fake.wait_sent(MEMBER_TG)  # privately: the member opened the bot
    assert "administrators" in refusal.plain
    assert "Manage Server" not in refusal.plain and "Discord" not in refusal.plain
