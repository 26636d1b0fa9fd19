"""Building and running the Telegram `Application` inside the process's shared event loop.

`run_polling` would own the loop, so the front end is started by hand: `initialize()`,
`start()`, `updater.start_polling()`; stopping reverses it.

Telegram serves one `getUpdates` poller per bot (a second one gets 409 Conflict), so among
the processes sharing a database only the holder of the "telegram-poller" singleton polls
(`bot.core.singleton`). The others run the same front end without polling (they still send:
digests, review cards) and take over within seconds of the poller's death; conversations in
progress carry on there, read from the database (`bot.telegram.persistence`).
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
from telegram.error import Conflict, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ConversationHandler,
    Defaults,
    TypeHandler,
)
from telegram.ext._utils.trackingdict import TrackingDict

from bot import i18n
from bot.core.conversations import ConversationStore
from bot.core.metrics import TELEGRAM_POLLER
from bot.core.rendering import Renderer
from bot.core.singleton import RETRY_SECONDS, Singleton
from bot.services import Services
from bot.telegram import asking, chats, curating, feeds, inline, menu, reading, subscriptions
from bot.telegram.common import NO_PREVIEW, FrontEnd, TelegramConfig, on_error, speak_to
from bot.telegram.digests import (
    TelegramDigestBuilder,
    TelegramPoster,
    chat_mover,
    retry_seconds,
)
from bot.telegram.persistence import DatabasePersistence

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
#: the singleton whose holder polls Telegram for updates
POLLER = "telegram-poller"
#: the 409 Conflict (another poller) that is logged: the first may be a takeover's overlap
CONFLICTS_LOGGED_AT = 2


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
        """Run the handlers; count a command and its time once they are done. A step of a
        conversation is written to the database as the update ends, so a process taking
        over polling carries it on even if this one is killed the moment after."""
        command = command_of(update)
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            if command is not None:
                metrics = self.bot_data["front"].services.metrics
                metrics.command_answered(command, "telegram", time.perf_counter() - started)
            if isinstance(self.persistence, DatabasePersistence):
                await self.update_persistence()
                await self.persistence.write()

    async def reload_persistence(self) -> None:
        """Forget the conversations and form data held in memory and read them again from
        the database: another process may have carried them on (or ended them) since."""
        if self.persistence is None:
            return
        # python-telegram-bot reads its persistence once, at `initialize()`; a process that
        # takes over polling later reads it again through the same (internal) steps.
        self._user_ids_to_be_updated_in_persistence.clear()
        self._user_ids_to_be_deleted_in_persistence.clear()
        self._user_data.clear()
        self._conversation_handler_conversations.clear()
        for group in self.handlers.values():
            for handler in group:
                if isinstance(handler, ConversationHandler) and handler.persistent:
                    handler._conversations = TrackingDict()
        await self._initialize_persistence()
        for group in self.handlers.values():
            for handler in group:
                if isinstance(handler, ConversationHandler) and handler.persistent:
                    await self._add_ch_to_persistence(handler)


def build_application(
    services: Services, config: TelegramConfig, *, rate_limiter: bool = True
) -> MeasuredApplication:
    """An Application pointed at `config.api_url`, every handler registered."""
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .concurrent_updates(True)
        .application_class(MeasuredApplication)
        .persistence(DatabasePersistence(ConversationStore(services.db, services.clock)))
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
    assert isinstance(app, MeasuredApplication)
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
        self,
        services: Services,
        config: TelegramConfig,
        *,
        rate_limiter: bool = True,
        poll_retry: float = RETRY_SECONDS,
    ) -> None:
        self.services = services
        self.app = build_application(services, config, rate_limiter=rate_limiter)
        self._tasks: set[asyncio.Task[object]] = set()
        self._poll_timeout = POLL_TIMEOUT
        self._conflicts = 0
        self._digests = False
        self.poller = Singleton.on(
            services.db,
            POLLER,
            on_gain=self._start_polling,
            on_loss=self._stop_polling,
            interval=poll_retry,
        )
        services.metrics.watch_singleton(TELEGRAM_POLLER, "telegram", lambda: self.poller.holds)

    async def start(self, *, poll_timeout: int = POLL_TIMEOUT, digests: bool = True) -> None:
        """Connect, register the command menu, join the process's digest scheduler and
        fetch updates — or, while another process of this database polls, stand by and
        take over when it is gone."""
        await self.app.initialize()
        await register_commands(self.app.bot)
        if digests:
            self._digests = True
            await self._join_digests()
        await self.app.start()
        self._poll_timeout = poll_timeout
        if not await self.poller.step():
            log.info(
                "telegram front end started bot=%s: another process polls for updates; "
                "standing by to take over",
                self.app.bot.username,
            )
        else:
            log.info("telegram front end started bot=%s", self.app.bot.username)
        self.poller.begin()

    @property
    def polling(self) -> bool:
        """Whether this process fetches the bot's updates now."""
        return self.app.updater is not None and self.app.updater.running

    def receiving(self) -> bool:
        """Whether updates reach the bot through this process or stand-by is in place to
        take over (what /healthz asks): polling, or started and waiting for the lock."""
        return self.polling or (self.app.running and self.poller.running)

    async def _start_polling(self) -> None:
        """This process has the poller's lock: read the conversations other processes may
        have carried on, then fetch updates."""
        await self.app.reload_persistence()
        self._conflicts = 0
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0,
            timeout=self._poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            error_callback=self._polling_failed,
        )
        log.info("telegram: this process polls for updates now")

    async def _finish_handlers(self) -> None:
        if self.app.running:
            await self.app.stop()

    async def _stop_polling(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()

    def _polling_failed(self, exc: TelegramError) -> None:
        """A failed `getUpdates`; python-telegram-bot tries again, waiting longer each time
        (up to 30 s). A 409 means another program polls this bot. One 409 is expected at a
        takeover (the former poller's last request, confirming what it fetched, overlaps the
        new poller's first); from the second on it is said once, not at every try."""
        if isinstance(exc, Conflict):
            self._conflicts += 1
            if self._conflicts == CONFLICTS_LOGGED_AT:
                log.error(
                    "telegram: Telegram refused getUpdates with 409 Conflict: another program "
                    "is polling this bot's updates (a second deployment with the same token, "
                    "not sharing this database?). Retrying with growing pauses; this is "
                    "logged once"
                )
            return
        log.warning(
            "telegram: fetching updates failed (%s: %r); retrying", type(exc).__name__, str(exc)
        )

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
        """Stop fetching updates and finish handlers, then hand polling over; then stop
        sending digests (the parts in flight finish) and only then give up the sender lead,
        so an overlapping deploy's new process never re-sends a part this one is still
        posting; then disconnect."""
        if self._digests:
            jobs = self.services.digests.scheduler.scheduler
            if jobs.get_job(FEEDS_SWEEP_ID) is not None:
                jobs.remove_job(FEEDS_SWEEP_ID)
        # Polling stops and the handlers in flight finish (their conversation steps
        # written) before the lock is freed: a process taking over never polls beside this
        # one and finds every step.
        await self.poller.stop(before_release=self._finish_handlers)
        if self._digests:
            await self.services.digests.stop("telegram")
        for task in list(self._tasks):
            task.cancel()
        await self.app.shutdown()
