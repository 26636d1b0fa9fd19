"""Telegram's commands in the metrics, and /healthz of a process polling Telegram: the real
Application against the fake Bot API, the real server scraped over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import aiohttp

from bot.health import HealthServer
from bot.runner import FrontEnds
from bot.telegram.app import command_of
from harness.fake_telegram import TOKEN
from tests.discord.test_metrics import sample
from tests.telegram.conftest import MEMBER_TG, Running


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """The count moves once the handlers are done, just after the answer was sent."""

    async def loop() -> None:
        while not await check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def test_commands_are_counted_by_name_and_unknown_ones_as_other(tg: Running) -> None:
    svc = tg.services
    svc.settings = replace(svc.settings, telegram_token=TOKEN)
    running = FrontEnds(svc)
    server = HealthServer(svc, running.problems, host="127.0.0.1", port=0)
    port = await server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, str]:
                async with http.get(base + path) as response:
                    return response.status, await response.text()

            assert await get("/healthz") == (503, "telegram: not polling for updates\n")
            running.telegram = tg.bot
            assert await get("/healthz") == (200, "ready\n")

            tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
            tg.fake.message(MEMBER_TG, MEMBER_TG, "/brieff japan-korea")

            async def counted() -> bool:
                text = (await get("/metrics"))[1]
                name = "briefbot_command_seconds_count"
                brief = sample(text, name, command="brief", platform="telegram")
                other = sample(text, name, command="other", platform="telegram")
                return (brief, other) == (1, 1)

            await eventually(counted)
            assert len(await tg.fake.wait_sent(MEMBER_TG)) >= 1
    finally:
        await server.stop()


def test_the_command_of_an_update_is_its_name_without_the_bot() -> None:
    from datetime import UTC, datetime

    from telegram import Chat, Message, Update, User

    def update(text: str) -> Update:
        chat = Chat(1, "private")
        user = User(1, "a", False)
        return Update(1, message=Message(1, datetime.now(UTC), chat, from_user=user, text=text))

    assert command_of(update("/Brief@TrilateralBot japan-korea")) == "brief"
    assert command_of(update("/whatever")) == "other"
    assert command_of(update("hello /brief")) is None
    assert command_of(update("/")) is None
    assert command_of(object()) is None
