"""The real python-telegram-bot Application against the loopback fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Settings
from bot.services import Services, open_services
from bot.telegram.app import TelegramBot
from bot.telegram.common import TelegramConfig
from harness.fake_telegram import TOKEN, FakeTelegram
from tests.helpers import FixedClock

EDITOR_TG = 5550001
ADMIN_TG = 5550002
MEMBER_TG = 5550003
GROUP = -100200300
CHANNEL = -100900800


@dataclass
class Running:
    """A started bot, its fake server and services."""

    fake: FakeTelegram
    bot: TelegramBot
    services: Services


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, serving. A test fails if the bot sent anything Telegram refuses
    (a test that provokes a refusal on purpose clears `fake.refusals` once it has seen it)."""
    server = FakeTelegram()
    await server.start()
    server.add_chat(GROUP, "supergroup", "Alliance watchers")
    server.add_chat(CHANNEL, "channel", "Alliance digest")["username"] = "alliance_digest"
    yield server
    await server.stop()
    assert not server.refusals, f"Telegram would refuse: {server.refusals}"


@pytest.fixture
async def tg(
    fake: FakeTelegram, database_settings: dict[str, Any], clock: FixedClock
) -> AsyncIterator[Running]:
    """The Telegram front end started against the fake, on the starter database (SQLite, or
    PostgreSQL where a test parametrizes `backend`)."""
    services = await open_services(Settings(**database_settings), clock=clock)
    config = TelegramConfig(token=TOKEN, api_url=fake.base_url, editor_ids=frozenset({EDITOR_TG}))
    bot = TelegramBot(services, config)
    await bot.start(poll_timeout=1)
    yield Running(fake, bot, services)
    await bot.stop()
    await services.close()
