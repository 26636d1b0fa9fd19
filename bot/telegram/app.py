"""Building and running the Telegram `Application` inside the process's shared event loop.

`run_polling` would own the loop, so the front end is started by hand: `initialize()`,
`start()`, `updater.start_polling()`; stopping reverses it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from telegram import Bot, BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults, TypeHandler

from bot import i18n
from bot.core.rendering import Renderer
from bot.services import Services
from bot.telegram import asking, chats, curating, feeds, inline, reading, subscriptions
from bot.telegram.common import NO_PREVIEW, FrontEnd, TelegramConfig, on_error, speak_to
from bot.telegram.digests import TelegramDigestBuilder, TelegramPoster, chat_mover

log = logging.getLogger(__name__)

#: Telegram's limits: about 30 messages/s overall and 20 per minute in a group.
OVERALL_RATE = 30
GROUP_RATE = 20
RATE_RETRIES = 2
POLL_TIMEOUT = 30
FEEDS_SWEEP_ID = "feeds-sweep-telegram"
FEEDS_SWEEP_SECONDS = 60.0


def build_application(
    services: Services, config: TelegramConfig, *, rate_limiter: bool = True
) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application pointed at `config.api_url`, every handler registered."""
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .concurrent_updates(True)
    )
    if rate_limiter:
        builder = builder.rate_limiter(
            AIORateLimiter(
                overall_max_rate=OVERALL_RATE,
                overall_time_period=1,
                group_max_rate=GROUP_RATE,
                group_time_period=60,
                max_retries=RATE_RETRIES,
            )
        )
    app = builder.build()
    app.bot_data["front"] = FrontEnd(
        services, config, Renderer("telegram", services.settings.templates_dir)
    )
    handlers = [
        *curating.handlers(),
        *reading.handlers(),
        *asking.handlers(),
        *subscriptions.handlers(),
        *feeds.handlers(),
        *inline.handlers(),
        *chats.handlers(),
    ]
    # First, in its own group: every update is answered in its sender's language.
    app.add_handler(TypeHandler(Update, speak_to), group=-1)
    for handler in handlers:
        app.add_handler(handler)
    app.add_error_handler(on_error)
    return app


def bot_commands(language: str = i18n.DEFAULT) -> list[BotCommand]:
    """The menu Telegram shows, with descriptions in `language`."""
    return [
        BotCommand(name, i18n.translate_to(language, description))
        for name, _usage, description in reading.COMMANDS
    ]


async def register_commands(bot: Bot) -> None:
    """The command menu: English by default, and one per translated language (Telegram
    shows users whose app language is `ja` or `ko` their own)."""
    await bot.set_my_commands(bot_commands())
    for language in i18n.LOCALES:
        if language != i18n.DEFAULT:
            await bot.set_my_commands(bot_commands(language), language_code=language)


class TelegramBot:
    """The Telegram front end's lifecycle in a loop it does not own."""

    def __init__(
        self, services: Services, config: TelegramConfig, *, rate_limiter: bool = True
    ) -> None:
        self.services = services
        self.app = build_application(services, config, rate_limiter=rate_limiter)
        self._tasks: set[asyncio.Task[object]] = set()

    async def start(self, *, poll_timeout: int = POLL_TIMEOUT, digests: bool = True) -> None:
        """Connect, register the command menu, join the process's digest scheduler and
        start fetching updates."""
        await self.app.initialize()
        await register_commands(self.app.bot)
        if digests:
            await self._join_digests()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
        )
        log.info("telegram front end started bot=%s", self.app.bot.username)

    async def _join_digests(self) -> None:
        """Post Telegram digests through the shared engine; deliver what is overdue."""
        hub = self.services.digests
        renderer = self.app.bot_data["front"].renderer
        poster = TelegramPoster(self.app.bot, chat_mover(self.services))
        hub.register("telegram", poster, TelegramDigestBuilder(self.services, renderer))
        await hub.start("telegram")
        # Feeds ride on the same scheduler: polled, then new review cards posted here.
        hub.scheduler.scheduler.add_job(
            self.sweep_feeds,
            IntervalTrigger(seconds=FEEDS_SWEEP_SECONDS, timezone=UTC),
            id=FEEDS_SWEEP_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        task = asyncio.create_task(self._catch_up())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _catch_up(self) -> None:
        try:
            await self.services.digests.scheduler.catch_up()
        except Exception:
            log.exception("digest catch-up failed; the sweep will retry")

    async def sweep_feeds(self) -> int:
        """Poll the due feeds, then post the new review cards of Telegram-reviewed queues;
        returns how many cards were posted. A failure waits for the next sweep."""
        try:
            reports = await self.services.feeds.poll_due()
            merged = [i for r in reports for i in r.merged_into]
            renderer = self.app.bot_data["front"].renderer
            return await feeds.post_cards(self.app.bot, self.services.feeds, renderer, merged)
        except Exception:
            log.exception("telegram feed sweep failed; the next one retries")
            return 0

    async def stop(self) -> None:
        """Stop fetching updates, finish handlers and disconnect."""
        for task in list(self._tasks):
            task.cancel()
        jobs = self.services.digests.scheduler.scheduler
        if jobs.get_job(FEEDS_SWEEP_ID) is not None:
            jobs.remove_job(FEEDS_SWEEP_ID)
        self.services.digests.stop("telegram")
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
