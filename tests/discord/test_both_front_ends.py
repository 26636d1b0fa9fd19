"""Discord (SimCord) and Telegram (the fake Bot API) in one process, one event loop and one
database: what an editor adds on Discord, a Telegram chat finds at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.discord.client import BriefBot
from bot.services import Services, open_services
from bot.telegram.app import TelegramBot
from bot.telegram.common import TelegramConfig
from harness.fake_telegram import TOKEN, FakeTelegram
from tests.discord._support import add_development
from tests.discord.conftest import fixed_clock, text_of
from tests.helpers import FixedClock

TG_USER = 5550003


@pytest.fixture
async def shared(db_path: Path) -> AsyncIterator[Services]:
    clock = FixedClock(fixed_clock())  # the SimCord world's "now", movable here
    services = await open_services(Settings(database_path=db_path), clock=clock)
    yield services
    await services.close()


@pytest.fixture
def simcord_bot(shared: Services) -> BriefBot:
    return BriefBot(shared.settings, clock=shared.clock, services=shared)


@pytest.fixture
async def telegram(shared: Services) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    bot = TelegramBot(shared, TelegramConfig(TOKEN, fake.base_url))
    await bot.start(poll_timeout=1)
    yield fake
    await bot.stop()
    await fake.stop()


async def test_one_process_serves_discord_and_telegram(
    world: Any, telegram: FakeTelegram, shared: Services
) -> None:
    assert world.env.bot.services is shared
    _, dev_id = await add_development(
        world.editor,
        world.general,
        {"scope": "global"},
        title="Seoul and Tokyo open a joint <b>minerals</b> desk",
    )
    discord_answer = await world.member.slash(world.general, "brief", topic="japan-korea")
    telegram.message(TG_USER, TG_USER, "/search minerals desk")
    telegram.message(TG_USER, TG_USER, f"/development {dev_id}")
    sent = await telegram.wait_sent(TG_USER, 2)
    assert "Bottom line" in text_of(discord_answer)
    shown = " ".join(s.plain for s in sent)
    assert "joint <b>minerals</b> desk" in shown  # stored text shown literally, never markup
    assert f"#{dev_id}" in shown


async def test_one_scheduler_delivers_to_both_platforms(
    world: Any, telegram: FakeTelegram, shared: Services
) -> None:
    await world.mod.slash(world.general, "subscribe", cadence="daily", topics="japan-korea")
    telegram.message(TG_USER, TG_USER, "/subscribe japan-korea daily 12:30 UTC")
    await telegram.wait_sent(TG_USER)
    clock = shared.clock
    assert isinstance(clock, FixedClock)
    clock.advance(minutes=5)
    await add_development(
        world.editor, world.general, {"scope": "global"}, title="Seoul and Tokyo sign a pact"
    )
    clock.advance(days=1)
    outcomes = await shared.digests.scheduler.sweep()
    assert sorted(o.kind for o in outcomes) == ["sent", "sent"]
    assert "Seoul and Tokyo sign a pact" in telegram.texts(TG_USER)[-1]
    discord_posts = [m.content for m in world.general.history() if "daily digest" in m.content]
    assert discord_posts and "Seoul and Tokyo sign a pact" in discord_posts[-1]
