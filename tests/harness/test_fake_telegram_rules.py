"""The fake Bot API refuses what Telegram refuses (the Bot API's documented limits), each
rule shown by a request that breaks it next to one that keeps it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from harness.fake_telegram import TOKEN, FakeTelegram

CHAT = 4242


@pytest.fixture
async def call() -> AsyncIterator[Any]:
    server = FakeTelegram(global_limit=None, chat_limit=None)
    await server.start()
    async with aiohttp.ClientSession() as session:

        async def post(method: str, **params: Any) -> tuple[int, str]:
            url = f"{server.base_url}{TOKEN}/{method}"
            async with session.post(url, json=params) as response:
                body = await response.json()
                return response.status, str(body.get("description", ""))

        yield post
    await server.stop()


def command(name: str = "brief", description: str = "A briefing") -> dict[str, str]:
    return {"command": name, "description": description}


@pytest.mark.parametrize(
    ("params", "refusal"),
    [
        ({"commands": [command("x" * 33)]}, "BOT_COMMAND_INVALID"),
        ({"commands": [command("")]}, "BOT_COMMAND_INVALID"),
        ({"commands": [command("Brief")]}, "BOT_COMMAND_INVALID"),
        ({"commands": [command("brief-me")]}, "BOT_COMMAND_INVALID"),
        ({"commands": [command(description="")]}, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ({"commands": [command(description="d" * 257)]}, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ({"commands": [command(f"c{i}") for i in range(101)]}, "BOT_COMMANDS_TOO_MUCH"),
        ({"commands": [command()], "language_code": "jpn"}, "LANG_CODE_INVALID"),
        ({"commands": [command()], "language_code": "JA"}, "LANG_CODE_INVALID"),
    ],
)
async def test_set_my_commands_refuses_what_telegram_refuses(
    call: Any, params: dict[str, Any], refusal: str
) -> None:
    assert await call("setMyCommands", **params) == (400, f"Bad Request: {refusal}")


async def test_set_my_commands_accepts_the_limits(call: Any) -> None:
    menu = [command(f"c_{i}", "d" * 256) for i in range(99)] + [command("x" * 32)]
    assert (await call("setMyCommands", commands=menu, language_code="ja"))[0] == 200
    assert (await call("setMyCommands", commands=menu, language_code=""))[0] == 200


def keyboard(**button: Any) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "Go", **button}]]}


@pytest.mark.parametrize(
    ("markup", "refusal"),
    [
        (keyboard(callback_data="x" * 65), "BUTTON_DATA_INVALID"),
        (keyboard(callback_data="é" * 33), "BUTTON_DATA_INVALID"),  # 66 bytes
        (keyboard(callback_data=""), "BUTTON_DATA_INVALID"),
        (keyboard(), "Text buttons are unallowed in the inline keyboard"),
        (keyboard(callback_data="a", url="https://example.com"), "exactly one of"),
        (keyboard(url="javascript:alert(1)"), "BUTTON_URL_INVALID"),
    ],
)
async def test_inline_keyboards_are_checked(
    call: Any, markup: dict[str, Any], refusal: str
) -> None:
    status, description = await call("sendMessage", chat_id=CHAT, text="hi", reply_markup=markup)
    assert status == 400 and refusal in description, description


async def test_a_64_byte_callback_data_is_accepted(call: Any) -> None:
    markup = keyboard(callback_data="x" * 64)
    assert (await call("sendMessage", chat_id=CHAT, text="hi", reply_markup=markup))[0] == 200


@pytest.mark.parametrize(
    ("params", "refusal"),
    [
        ({"parse_mode": "html5"}, "unsupported parse_mode"),
        ({"text": "<span>secret</span>"}, 'Unsupported start tag "span"'),
        ({"text": '<span class="x">secret</span>'}, 'Unsupported start tag "span"'),
        ({"text": "<div>block</div>"}, 'Unsupported start tag "div"'),
        ({"text": '<a href="javascript:alert(1)">x</a>'}, 'Unsupported URL protocol "javascript"'),
        ({"text": '<a href=" JavaScript:alert(1)">x</a>'}, "Unsupported URL protocol"),
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "&lt;" * 4097}, "message is too long"),
    ],
)
async def test_message_text_is_checked(call: Any, params: dict[str, Any], refusal: str) -> None:
    sent = {"chat_id": CHAT, "text": "hi", "parse_mode": "HTML", **params}
    status, description = await call("sendMessage", **sent)
    assert status == 400 and refusal in description, description


async def test_spoilers_and_ordinary_links_are_accepted(call: Any) -> None:
    text = '<span class="tg-spoiler">s</span> <a href="https://example.com/?a=1&amp;b=2">x</a>'
    status, _ = await call("sendMessage", chat_id=CHAT, text=text, parse_mode="HTML")
    assert status == 200


async def test_callback_answers_over_200_characters_are_refused(call: Any) -> None:
    assert await call("answerCallbackQuery", callback_query_id="1", text="a" * 201) == (
        400,
        "Bad Request: MESSAGE_TOO_LONG",
    )
    assert (await call("answerCallbackQuery", callback_query_id="1", text="a" * 200))[0] == 200


def article(result_id: str) -> dict[str, Any]:
    return {
        "type": "article",
        "id": result_id,
        "title": "A brief",
        "input_message_content": {"message_text": "text", "parse_mode": "HTML"},
    }


@pytest.mark.parametrize(
    ("results", "refusal"),
    [
        ([article(str(i)) for i in range(51)], "RESULTS_TOO_MUCH"),
        ([article("x" * 65)], "RESULT_ID_INVALID"),
        ([article("")], "RESULT_ID_INVALID"),
        ([article("a"), article("a")], "RESULT_ID_DUPLICATE"),
        (
            [{**article("a"), "reply_markup": keyboard(callback_data="x" * 65)}],
            "BUTTON_DATA_INVALID",
        ),
    ],
)
async def test_inline_answers_are_checked(
    call: Any, results: list[dict[str, Any]], refusal: str
) -> None:
    assert await call("answerInlineQuery", inline_query_id="1", results=results) == (
        400,
        f"Bad Request: {refusal}",
    )


async def test_fifty_inline_results_with_64_byte_ids_are_accepted(call: Any) -> None:
    results = [article(f"{i:02d}" + "x" * 62) for i in range(50)]
    assert (await call("answerInlineQuery", inline_query_id="1", results=results))[0] == 200


async def test_a_second_poller_ends_the_waiting_getupdates_with_409(call: Any) -> None:
    waiting = asyncio.create_task(call("getUpdates", timeout=5))
    await asyncio.sleep(0.05)  # the first request is waiting for updates
    assert await call("getUpdates", timeout=0) == (200, "")
    status, description = await waiting
    assert status == 409
    assert description.startswith("Conflict: terminated by other getUpdates request")
    # One poller at a time is served as before.
    assert await call("getUpdates", timeout=0) == (200, "")
