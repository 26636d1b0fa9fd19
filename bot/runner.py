"""`briefbot run`: every front end whose token is set, in one process and one event loop,
on one database connection (and, through the shared services, one digest scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

from discord import LoginFailure
from telegram.error import InvalidToken

from bot.config import ConfigError, Settings
from bot.domain.clock import Clock, system_clock
from bot.services import BOT_READERS, Services, open_services

if TYPE_CHECKING:
    from bot.discord.client import BriefBot
    from bot.telegram.app import TelegramBot

log = logging.getLogger(__name__)

MISSING_TOKENS = (
    "no front end to start: set DISCORD_TOKEN, TELEGRAM_TOKEN or both, in the environment "
    "or in .env (see .env.example and the README's 'Creating the Discord application' and "
    "'Creating the Telegram bot')"
)


def check_tokens(settings: Settings) -> None:
    """Raise ConfigError naming what is missing when no front end can start."""
    if not settings.discord_token and not settings.telegram_token:
        raise ConfigError(MISSING_TOKENS)


class FrontEnds:
    """The started front ends over shared services; `stop()` closes everything once."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.telegram: TelegramBot | None = None
        self.discord: BriefBot | None = None
        self.discord_task: asyncio.Task[None] | None = None

    async def start(self, *, telegram_poll_timeout: int = 30) -> None:
        """Start Telegram (polling) and Discord (gateway) as their tokens allow."""
        settings = self.services.settings
        if settings.telegram_token:
            from bot.telegram.app import TelegramBot
            from bot.telegram.common import TelegramConfig

            bot = TelegramBot(
                self.services,
                TelegramConfig(
                    settings.telegram_token,
                    settings.telegram_api_url,
                    settings.telegram_editor_ids,
                ),
            )
            try:
                await bot.start(poll_timeout=telegram_poll_timeout)
            except InvalidToken:
                raise ConfigError(
                    "TELEGRAM_TOKEN: Telegram rejected the token (copy it again from @BotFather)"
                ) from None
            self.telegram = bot
        if settings.discord_token:
            from bot.discord.client import BriefBot

            client = BriefBot(settings, clock=self.services.clock, services=self.services)
            self.discord = client
            self.discord_task = asyncio.create_task(client.start(settings.discord_token))

    async def stop(self) -> None:
        """Stop every front end, then close the database."""
        if self.telegram is not None:
            await self.telegram.stop()
        if self.discord is not None:
            await self.discord.close()
        if self.discord_task is not None:
            self.discord_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.discord_task
        await self.services.close()


async def run_front_ends(settings: Settings, *, clock: Clock = system_clock) -> None:
    """Run until SIGINT/SIGTERM, or until the Discord client stops by itself."""
    check_tokens(settings)
    services = await open_services(settings, clock=clock, readers=BOT_READERS)
    running = FrontEnds(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await running.start()
        waits: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
        if running.discord_task is not None:
            waits.append(running.discord_task)  # type: ignore[arg-type]
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = task.exception() if task is running.discord_task else None
            if isinstance(error, LoginFailure):
                raise ConfigError(
                    "DISCORD_TOKEN: Discord rejected the token (reset and copy it again in the "
                    "developer portal)"
                ) from None
            if error is not None:
                raise error
    finally:
        await running.stop()
