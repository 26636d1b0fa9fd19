"""`briefbot run`'s front-end starter with only a Telegram token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.runner import FrontEnds, check_tokens
from bot.services import open_services
from harness.fake_telegram import TOKEN, FakeTelegram
from tests.telegram.conftest import MEMBER_TG


async def test_only_a_telegram_token_starts_telegram(fake: FakeTelegram, db_path: Path) -> None:
    settings = Settings(database_path=db_path, telegram_token=TOKEN, telegram_api_url=fake.base_url)
    check_tokens(settings)
    running = FrontEnds(await open_services(settings))
    await running.start(telegram_poll_timeout=1)
    try:
        assert running.discord is None and running.telegram is not None
        fake.message(MEMBER_TG, MEMBER_TG, "/start")
        assert "/help" in (await fake.wait_sent(MEMBER_TG))[0].plain
    finally:
        await running.stop()


def test_no_token_names_both() -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN, TELEGRAM_TOKEN or both"):
        check_tokens(Settings())


async def test_a_rejected_telegram_token_is_one_config_error(
    fake: FakeTelegram, db_path: Path
) -> None:
    settings = Settings(
        database_path=db_path, telegram_token="1:wrong", telegram_api_url=fake.base_url
    )
    running = FrontEnds(await open_services(settings))
    try:
        with pytest.raises(ConfigError, match="TELEGRAM_TOKEN: Telegram rejected the token"):
            await running.start(telegram_poll_timeout=1)
    finally:
        await running.stop()
