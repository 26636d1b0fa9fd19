"""Curating from Telegram: the add conversation, /edit, /retract, /assess — for chat
administrators and editors, refused to members, rights asked of Telegram every time."""

from __future__ import annotations

import pytest

from bot.domain.scope import Scope
from harness.fake_telegram import FakeTelegram, Sent
from tests.conftest import BACKENDS
from tests.telegram.conftest import ADMIN_TG, EDITOR_TG, GROUP, MEMBER_TG, Running

SOURCE = "https://example.com/pact | Example Wire | Seoul and Tokyo sign a pact | 2023-04-20"


async def last(fake: FakeTelegram, chat: int, count: int) -> Sent:
    return (await fake.wait_sent(chat, count))[count - 1]


def button(sent: Sent, text: str) -> str:
    assert sent.reply_markup is not None, sent.plain
    for row in sent.reply_markup["inline_keyboard"]:
        for b in row:
            if b["text"].endswith(text):
                return str(b["callback_data"])
    raise KeyError(text)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_administrator_adds_a_development_step_by_step_in_a_group(
    tg: Running, backend: str
) -> None:
    # End to end on both backends: an administrator adds, a member's /search and /brief
    # in the group see it, another chat does not.
    assert tg.services.db.dialect == backend
    fake = tg.fake
    fake.members[(GROUP, ADMIN_TG)] = "administrator"
    fake.message(GROUP, ADMIN_TG, "/add")
    prompt = await last(fake, GROUP, 1)
    assert "title" in prompt.plain and prompt.reply_markup == {
        "force_reply": True,
        "selective": True,
    }
    fake.message(GROUP, ADMIN_TG, "Seoul and Tokyo sign a <b>pact</b>")
    assert "Date" in (await last(fake, GROUP, 2)).plain
    fake.message(GROUP, ADMIN_TG, "someday")  # refused, the question stands
    refusal = (await fake.wait_sent(ADMIN_TG))[0].plain
    assert refusal.startswith("date:")
    fake.message(GROUP, ADMIN_TG, "2023-04-20")
    assert "Summary" in (await last(fake, GROUP, 3)).plain
    fake.message(GROUP, ADMIN_TG, "The two governments agree to share stockpiles.")
    assert "Sources" in (await last(fake, GROUP, 4)).plain
    fake.message(GROUP, ADMIN_TG, SOURCE)
    countries = await last(fake, GROUP, 5)
    # A member's press is refused; the administrator's counts.
    fake.press(GROUP, MEMBER_TG, countries.message_id, button(countries, "JP"))
    await fake.wait_for(lambda: fake.callback_answers)
    assert "Only the person who started this" in fake.callback_answers[0]["text"]
    for number, code in enumerate(("JP", "KR"), start=1):
        fake.press(GROUP, ADMIN_TG, countries.message_id, button(countries, code))
        await fake.wait_for(lambda number=number: countries.edits >= number)  # type: ignore[misc]
    assert "Chosen: JP KR" in countries.plain
    fake.press(GROUP, ADMIN_TG, countries.message_id, button(countries, "Done"))
    await fake.wait_for(lambda: "Domain" in countries.plain)
    fake.press(GROUP, ADMIN_TG, countries.message_id, button(countries, "economy"))
    await fake.wait_for(lambda: "Publish to this chat?" in countries.plain)
    assert countries.plain.endswith(" · economy · 1 source")  # one source, not "source(s)"
    fake.press(GROUP, ADMIN_TG, countries.message_id, button(countries, "Publish"))
    await fake.wait_for(lambda: countries.plain.startswith("Published #"))
    dev_id = int(countries.plain.split("#")[1].split(" ")[0])
    dev = await tg.services.catalogue.show(dev_id, Scope.telegram(GROUP))
    assert dev.scope == Scope.telegram(GROUP)
    assert dev.title == "Seoul and Tokyo sign a <b>pact</b>"
    assert dev.countries == ("JP", "KR") and dev.domain == "economy"
    fake.message(GROUP, MEMBER_TG, "/search pact")
    found = await fake.wait_for(lambda: [t for t in fake.texts(GROUP) if f"#{dev_id}" in t])
    assert "Seoul and Tokyo sign a <b>pact</b>" in found[-1]
    fake.message(GROUP, MEMBER_TG, "/brief japan-korea")
    await fake.wait_for(lambda: any("Bottom line" in t for t in fake.texts(GROUP)))
    brief = next(t for t in fake.texts(GROUP) if "Bottom line" in t)
    assert "Seoul and Tokyo sign a <b>pact</b>" in brief
    # Another chat never sees it.
    fake.message(MEMBER_TG, MEMBER_TG, f"/development {dev_id}")
    await fake.wait_for(lambda: any("There is no" in t for t in fake.texts(MEMBER_TG)))
    assert fake.refusals == []


async def test_a_member_cannot_start_adding(tg: Running) -> None:
    tg.fake.message(GROUP, MEMBER_TG, "/add")
    refusal = (await tg.fake.wait_sent(MEMBER_TG))[0].plain
    assert "moderators" in refusal or "administrators" in refusal
    assert GROUP not in tg.fake.sent


async def test_edit_and_retract_by_an_editor_and_refusals(tg: Running) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/retract 1 wrong")  # a global one: editors only
    assert "editors" in (await last(fake, MEMBER_TG, 1)).plain
    fake.message(EDITOR_TG, EDITOR_TG, "/edit 1 title Seoul and Tokyo: a corrected title")
    assert (await last(fake, EDITOR_TG, 1)).plain.startswith("Updated #1 (title)")
    dev = await tg.services.catalogue.show(1, None)
    assert dev.title == "Seoul and Tokyo: a corrected title"
    fake.message(EDITOR_TG, EDITOR_TG, "/edit 1 colour blue")
    assert (await last(fake, EDITOR_TG, 2)).plain.startswith("usage: /edit id field value")
    fake.message(EDITOR_TG, EDITOR_TG, "/retract 1 superseded by a later report")
    assert (await last(fake, EDITOR_TG, 3)).plain.startswith("Retracted #1")
    fake.message(EDITOR_TG, EDITOR_TG, "/retract 1")
    assert (await last(fake, EDITOR_TG, 4)).plain.startswith("usage: /retract id reason")
    assert (await tg.services.catalogue.show(1, None)).retracted


async def test_assess_sets_a_chat_s_bottom_line(tg: Running) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/assess japan-korea")  # own private chat
    await last(fake, MEMBER_TG, 1)
    fake.message(MEMBER_TG, MEMBER_TG, "Ties are warming <fast> & steadily.")
    trend = await last(fake, MEMBER_TG, 2)
    fake.press(MEMBER_TG, MEMBER_TG, trend.message_id, button(trend, "improving"))
    await last(fake, MEMBER_TG, 3)
    fake.message(MEMBER_TG, MEMBER_TG, "Summit in May\nExport controls")
    done = await last(fake, MEMBER_TG, 4)
    assert done.plain.startswith("Assessment of japan-korea set for this chat: improving.")
    fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
    brief = await last(fake, MEMBER_TG, 5)
    assert "Ties are warming <fast> & steadily." in brief.plain
    assert "Summit in May" in brief.plain
    fake.message(ADMIN_TG, ADMIN_TG, "/brief japan-korea")  # another chat: not theirs
    assert "Ties are warming" not in (await last(fake, ADMIN_TG, 1)).plain
    fake.message(MEMBER_TG, MEMBER_TG, "/assess japan-korea global")
    assert "editors" in (await last(fake, MEMBER_TG, 6)).plain
