"""Building and running the Telegram `Application` inside the process's shared event loop.

`run_polling` would own the loop, so the front end is started by hand: `initialize()`,
`start()`, `updater.start_polling()`; stopping reverses it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults, TypeHandler

from bot import i18n
from bot.core.rendering import Renderer
from bot.services import Services
from bot.telegram import asking, chats, curating, feeds, inline, menu, reading, subscriptions
from bot.telegram.common import NO_PREVIEW, FrontEnd, TelegramConfig, on_error, speak_to
from bot.telegram.digests import (
    TelegramDigestBuilder,
    TelegramPoster,
    chat_mover,
    retry_seconds,
)

log = logging.getLogger(__name__)

#: Telegram's limits: about 30 messages/s overall and 20 per minute in a group.
OVERALL_RATE = 30
GROUP_RATE = 20
RATE_RETRIES = 2
#: The longest 429 python-telegram-bot waits out inside a request. While it waits it holds
#: every other request of the bot, so a longer one is handed to the caller at once: a digest
#: send gives its attempt back (the next sweep retries) and other chats are not kept waiting.
RATE_WAIT_MAX = 2.0
POLL_TIMEOUT = 30
FEEDS_SWEEP_ID = "feeds-sweep-telegram"
FEEDS_SWEEP_SECONDS = 60.0


class _LongWait(Exception):
    """Carries a 429 out of AIORateLimiter's retry loop without its global wait."""

    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


class BoundedRateLimiter(AIORateLimiter):
    """AIORateLimiter that waits out only short 429s (up to `max_wait` seconds)."""

    def __init__(self, *, max_wait: float = RATE_WAIT_MAX, **limits: Any) -> None:
        super().__init__(**limits)
        self.max_wait = max_wait

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """The request through the limiter; a 429 over `max_wait` is raised at once."""

        async def bounded(*a: Any, **k: Any) -> bool | dict[str, Any] | list[dict[str, Any]]:
            try:
                return await callback(*a, **k)
            except RetryAfter as exc:
                if retry_seconds(exc) > self.max_wait:
                    raise _LongWait(exc) from exc
                raise

        try:
            return await super().process_request(
                bounded, args, kwargs, endpoint, data, rate_limit_args
            )
        except _LongWait as long:
            raise long.error from None


#: Telegram's own commands beside the menu's: counted under their names in the metrics.
KNOWN_COMMANDS = frozenset({"start", "help", *(c.name for c in menu.COMMANDS)})


def command_of(update: object) -> str | None:
    """The command a message update asks for (`/brief@Bot x` → brief), None for anything
    else; a command the bot does not have is "other" (a label per typo would grow the
    metrics without end)."""
    if not isinstance(update, Update) or update.message is None:
        return None
    text = update.message.text or ""
    if not text.startswith("/") or len(text) < 2:
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    return name if name in KNOWN_COMMANDS else "other"


class MeasuredApplication(Application[Any, Any, Any, Any, Any, Any]):
    """The Application, timing every command from its update to the end of its handlers
    (the answers sent) for the metrics."""

    async def process_update(self, update: object) -> None:
        """Run the handlers; count a command and its time once they are done."""
        command = command_of(update)
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            if command is not None:
                metrics = self.bot_data["front"].services.metrics
                metrics.command_answered(command, "telegram", time.perf_counter() - started)


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
        .application_class(MeasuredApplication)
    )
    if rate_limiter:
        builder = builder.rate_limiter(
            BoundedRateLimiter(
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


def bot_commands(language: str = i18n.DEFAULT, *, administrator: bool = False) -> list[BotCommand]:
    """The menu Telegram shows, with descriptions in `language`: every command for
    administrators (and private chats), the reading ones for members of a group."""
    return [
        BotCommand(c.name, i18n.translate_to(language, c.description))
        for c in menu.commands_for(administrator=administrator)
    ]


#: Where each menu shows: members of groups get the default, a private chat (its user's
#: own) and every group's administrators get all the commands they may use.
MENU_SCOPES: tuple[tuple[BotCommandScope, bool], ...] = (
    (BotCommandScopeDefault(), False),
    (BotCommandScopeAllPrivateChats(), True),
    (BotCommandScopeAllChatAdministrators(), True),
)


async def register_commands(bot: Bot) -> None:
    """The command menus: per scope, English by default and one per translated language
    (Telegram shows users whose app language is `ja` or `ko` their own)."""
    for scope, administrator in MENU_SCOPES:
        await bot.set_my_commands(bot_commands(administrator=administrator), scope=scope)
        for language in i18n.LOCALES:
            if language != i18n.DEFAULT:
                await bot.set_my_commands(
                    bot_commands(language, administrator=administrator),
                    scope=scope,
                    language_code=language,
                )


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
        """Stop fetching updates and finish handlers; then stop sending digests (the parts
        in flight finish) and only then give up the sender lead, so an overlapping deploy's
        new process never re-sends a part this one is still posting; then disconnect."""
        jobs = self.services.digests.scheduler.scheduler
        if jobs.get_job(FEEDS_SWEEP_ID) is not None:
            jobs.remove_job(FEEDS_SWEEP_ID)
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.services.digests.stop("telegram")
        for task in list(self._tasks):
            task.cancel()
        await self.app.shutdown()
