"""`briefbot run`: every front end whose token is set, in one process and one event loop,
on one database connection (and, through the shared services, one digest scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import discord.http
from discord import DiscordServerError, LoginFailure
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

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


Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Backoff:
    """Capped exponential delays between attempts to reach a platform: 1, 2, 4 … 300 s.

    A platform that cannot be reached at start (the network is not up yet, DNS fails, the
    API has an outage) must not need a manual restart: the bot keeps trying, ever slower.
    """

    first: float = 1.0
    cap: float = 300.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th consecutive failure (0-based)."""
        return float(min(self.cap, self.first * 2.0 ** min(failures, 32)))


def host_of(url: str) -> str:
    """`host[:port]` of a URL, never its credentials or path (which may hold a token)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


def _reason(exc: BaseException) -> str:
    """The failure in a few words, on one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def telegram_transient(exc: BaseException) -> bool:
    """A network failure or a throttle, not something the operator must fix."""
    return isinstance(exc, RetryAfter) or (
        isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)
    )


def discord_transient(exc: BaseException) -> bool:
    """A network failure or a Discord outage (5xx), not a refused token."""
    return isinstance(exc, OSError | aiohttp.ClientError | TimeoutError | DiscordServerError)


async def keep_trying(
    platform: str,
    host: str,
    check: str,
    attempt: Callable[[], Awaitable[_T]],
    *,
    transient: Callable[[BaseException], bool],
    sleep: Sleep = asyncio.sleep,
    backoff: Backoff = Backoff(),
) -> _T:
    """Run `attempt` until it succeeds. A transient failure logs one line (the platform,
    the host, what to check, when the next try is) and waits `backoff`; any other
    failure (a refused token) is raised at once."""
    failures = 0
    while True:
        try:
            result = await attempt()
        except Exception as exc:
            if not transient(exc):
                raise
            delay = backoff.delay(failures)
            failures += 1
            log.warning(
                "%s: cannot reach %s (%s); check %s; retrying in %s s",
                platform,
                host,
                _reason(exc),
                check,
                f"{delay:g}",
            )
            await sleep(delay)
            continue
        if failures:
            log.info("%s: reached %s after %s failed attempt(s)", platform, host, failures)
        return result


class FrontEnds:
    """The started front ends over shared services; `stop()` closes everything once.

    `sleep` and `backoff` pace the attempts to reach a platform that is down at start."""

    def __init__(
        self, services: Services, *, sleep: Sleep = asyncio.sleep, backoff: Backoff = Backoff()
    ) -> None:
        self.services = services
        self.sleep = sleep
        self.backoff = backoff
        self.telegram: TelegramBot | None = None
        self._telegram_connecting: TelegramBot | None = None
        self.discord: BriefBot | None = None
        self.discord_task: asyncio.Task[None] | None = None
        self.telegram_task: asyncio.Task[None] | None = None

    def begin(self, *, telegram_poll_timeout: int = 30) -> list[asyncio.Task[None]]:
        """Start each front end its token allows in its own task, so one platform that
        cannot be reached does not hold the other back: Discord's task logs in, then runs
        the gateway until the client closes; Telegram's ends once it polls."""
        settings = self.services.settings
        if settings.discord_token:
            self.discord_task = asyncio.create_task(self._run_discord(settings.discord_token))
        if settings.telegram_token:
            self.telegram_task = asyncio.create_task(
                self._start_telegram(settings.telegram_token, telegram_poll_timeout)
            )
        return [t for t in (self.discord_task, self.telegram_task) if t is not None]

    async def start(self, *, telegram_poll_timeout: int = 30) -> None:
        """`begin()`, then wait until Telegram polls, however many tries that takes."""
        self.begin(telegram_poll_timeout=telegram_poll_timeout)
        if self.telegram_task is not None:
            await self.telegram_task

    def problems(self) -> list[str]:
        """Why a front end this process should run is not connected (for /healthz)."""
        settings = self.services.settings
        found = []
        if settings.discord_token and (
            self.discord is None or self.discord.is_closed() or not self.discord.is_ready()
        ):
            found.append("discord: not connected to the gateway")
        # A process standing by while another polls (one poller per bot) is ready too.
        if settings.telegram_token and (self.telegram is None or not self.telegram.receiving()):
            found.append("telegram: not polling for updates")
        return found

    async def _start_telegram(self, token: str, poll_timeout: int) -> None:
        from bot.telegram.app import TelegramBot
        from bot.telegram.common import TelegramConfig

        settings = self.services.settings
        bot = TelegramBot(
            self.services,
            TelegramConfig(token, settings.telegram_api_url, settings.telegram_editor_ids),
        )
        self._telegram_connecting = bot
        try:
            # `initialize()` is the first request (getMe): reaching the API is tried there.
            await keep_trying(
                "Telegram",
                host_of(settings.telegram_api_url),
                "the network, DNS, a proxy, and TELEGRAM_API_URL",
                bot.app.initialize,
                transient=telegram_transient,
                sleep=self.sleep,
                backoff=self.backoff,
            )
            await bot.start(poll_timeout=poll_timeout)
        except InvalidToken:
            raise ConfigError(
                "TELEGRAM_TOKEN: Telegram rejected the token (copy it again from @BotFather)"
            ) from None
        self.telegram = bot
        self._telegram_connecting = None

    async def _run_discord(self, token: str) -> None:
        from bot.discord.client import make_bot

        settings = self.services.settings

        async def log_in() -> BriefBot:
            # A fresh client per try: a failed login leaves discord.py's HTTP session behind.
            client = make_bot(settings, clock=self.services.clock, services=self.services)
            self.discord = client
            try:
                await client.login(token)
            except BaseException:
                await client.close()
                raise
            return client

        client = await keep_trying(
            "Discord",
            host_of(discord.http.Route.BASE),
            "the network, DNS and a proxy",
            log_in,
            transient=discord_transient,
            sleep=self.sleep,
            backoff=self.backoff,
        )
        # Once logged in, discord.py reconnects to the gateway by itself.
        await client.connect()

    async def stop(self) -> None:
        """Stop every front end, then close the database."""
        if self.telegram_task is not None and not self.telegram_task.done():
            self.telegram_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.telegram_task
        if self.telegram is not None:
            await self.telegram.stop()
        elif self._telegram_connecting is not None:
            with contextlib.suppress(Exception):
                await self._telegram_connecting.app.bot.shutdown()
        if self.discord is not None:
            await self.discord.close()
        if self.discord_task is not None:
            self.discord_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.discord_task
        await self.services.close()


async def run_front_ends(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    sleep: Sleep = asyncio.sleep,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set), or until the Discord client stops by
    itself. A refused token ends the run with a `ConfigError` naming the variable."""
    check_tokens(settings)
    services = await open_services(settings, clock=clock, readers=BOT_READERS)
    # Named at start: a relative DATABASE_PATH run from another folder is another database;
    # a URL is named without its password.
    log.info("using database %s", settings.database_in_use)
    running = FrontEnds(services, sleep=sleep)
    health = None
    if settings.metrics_port is not None:
        from bot.health import HealthServer

        health = HealthServer(
            services, running.problems, host=settings.metrics_host, port=settings.metrics_port
        )
        try:
            await health.start()
        except OSError as exc:
            await services.close()
            raise ConfigError(
                f"METRICS_PORT: cannot listen on {settings.metrics_host}:{settings.metrics_port}"
                f" ({exc.strerror or exc})"
            ) from None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        watched: set[asyncio.Future[Any]] = {stopping, *running.begin()}
        while True:
            done, watched = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                return
            for task in done:
                error = task.exception()
                if isinstance(error, LoginFailure):
                    raise ConfigError(
                        "DISCORD_TOKEN: Discord rejected the token (reset and copy it again "
                        "in the developer portal)"
                    ) from None
                if error is not None:
                    raise error
                if task is running.discord_task:
                    return  # the Discord client closed by itself
    finally:
        stopping.cancel()
        if health is not None:
            await health.stop()
        await running.stop()
