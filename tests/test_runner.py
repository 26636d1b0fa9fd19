"""`briefbot run` as an operator meets it: no token in the log at any level, one line per
platform it cannot reach (and it keeps trying), one line for a refused token, no misleading
warning at start."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord.http
import pytest

from bot.config import CHATTY_LOGGERS, ConfigError, Settings, configure_logging
from bot.discord.client import BriefBot
from bot.runner import Backoff, keep_trying, run_front_ends, telegram_transient
from bot.services import open_services
from harness.fake_telegram import FakeTelegram
from tests.telegram.conftest import MEMBER_TG

TELEGRAM_TOKEN = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
# Discord's shape: base64url(user id) . base64url(time) . base64url(HMAC); made up.
DISCORD_TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhXyZa.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9"


class Sleeps:
    """An injected `sleep`: records each delay, returns at once; sets `enough` after
    `limit` sleeps so a test can stop the run there."""

    def __init__(self, limit: int = 1_000) -> None:
        self.delays: list[float] = []
        self.limit = limit
        self.enough = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if len(self.delays) >= self.limit:
            self.enough.set()
        await asyncio.sleep(0)


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The process's log as `briefbot run` configures it, captured; restored after."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    handler = configure_logging("DEBUG", secrets=(TELEGRAM_TOKEN, DISCORD_TOKEN), stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def discord_down() -> Iterator[str]:
    """Discord's API base pointed at a loopback port that refuses connections."""
    original = discord.http.Route.BASE
    host = f"127.0.0.1:{closed_port()}"
    discord.http.Route.BASE = f"http://{host}/api/v10"
    yield host
    discord.http.Route.BASE = original


@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(token=TELEGRAM_TOKEN)
    await server.start()
    yield server
    await server.stop()


async def test_no_token_reaches_the_log_on_either_platform(
    tg_fake: FakeTelegram, discord_down: str, log_stream: io.StringIO, db_path: Path
) -> None:
    settings = Settings(
        database_path=db_path,
        telegram_token=TELEGRAM_TOKEN,
        telegram_api_url=tg_fake.base_url,
        discord_token=DISCORD_TOKEN,
        log_level="DEBUG",
    )
    sleeps = Sleeps(limit=2)
    stop = asyncio.Event()
    run = asyncio.create_task(run_front_ends(settings, sleep=sleeps, stop=stop))
    try:
        await tg_fake.wait_for(lambda: tg_fake.commands, timeout=30)
        tg_fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
        (answer,) = await tg_fake.wait_sent(MEMBER_TG, timeout=30)
        assert "Bottom line" in answer.plain
        await asyncio.wait_for(sleeps.enough.wait(), 30)  # Discord was tried, twice
    finally:
        stop.set()
        await asyncio.wait_for(run, 30)
    log = log_stream.getvalue()
    for token in (TELEGRAM_TOKEN, DISCORD_TOKEN):
        assert token not in log
        assert token.split(":")[-1].split(".")[-1] not in log  # nor its secret half
    # ... although both platforms really talked (httpx at DEBUG logs every Telegram URL).
    assert "HTTP Request: POST" in log and "/bot[REDACTED]/getMe" in log
    assert f"Discord: cannot reach {discord_down}" in log


async def test_an_unreachable_platform_is_one_line_each_and_retried_with_backoff(
    discord_down: str, log_stream: io.StringIO, db_path: Path
) -> None:
    telegram_host = f"127.0.0.1:{closed_port()}"
    settings = Settings(
        database_path=db_path,
        telegram_token=TELEGRAM_TOKEN,
        telegram_api_url=f"http://{telegram_host}/bot",
        discord_token=DISCORD_TOKEN,
    )
    sleeps = Sleeps(limit=12)
    stop = asyncio.Event()
    run = asyncio.create_task(run_front_ends(settings, sleep=sleeps, stop=stop))
    await asyncio.wait_for(sleeps.enough.wait(), 30)
    stop.set()
    await asyncio.wait_for(run, 30)  # stops cleanly while still trying
    lines = log_stream.getvalue().splitlines()
    telegram = [line for line in lines if "Telegram: cannot reach" in line]
    discord_ = [line for line in lines if "Discord: cannot reach" in line]
    assert len(telegram) >= 3 and len(discord_) >= 3
    assert f"Telegram: cannot reach {telegram_host} (" in telegram[0]
    assert "check the network, DNS, a proxy, and TELEGRAM_API_URL; retrying in 1 s" in telegram[0]
    assert f"Discord: cannot reach {discord_down} (" in discord_[0]
    assert "retrying in 2 s" in telegram[1] and "retrying in 4 s" in telegram[2]
    assert not any("Traceback" in line or line.startswith(" ") for line in lines)
    assert sorted(set(sleeps.delays))[:3] == [1.0, 2.0, 4.0]


def test_backoff_is_capped() -> None:
    backoff = Backoff(first=1, cap=300)
    assert [backoff.delay(n) for n in range(4)] == [1, 2, 4, 8]
    assert backoff.delay(9) == 300 and backoff.delay(10_000) == 300


async def test_a_network_failure_is_retried_until_it_passes() -> None:
    from telegram.error import NetworkError

    tries: list[int] = []

    async def attempt() -> str:
        tries.append(1)
        if len(tries) < 4:
            raise NetworkError("httpx.ConnectError: All connection attempts failed")
        return "connected"

    sleeps = Sleeps()
    got = await keep_trying(
        "Telegram", "api.telegram.org", "x", attempt, transient=telegram_transient, sleep=sleeps
    )
    assert got == "connected" and sleeps.delays == [1, 2, 4]


async def test_a_refused_telegram_token_stops_with_one_line(
    tg_fake: FakeTelegram, db_path: Path
) -> None:
    settings = Settings(
        database_path=db_path,
        telegram_token="7000001:AAWrongWrongWrongWrongWrongWrongWrong",
        telegram_api_url=tg_fake.base_url,
    )
    sleeps = Sleeps()
    with pytest.raises(ConfigError, match=r"^TELEGRAM_TOKEN: Telegram rejected the token"):
        await asyncio.wait_for(run_front_ends(settings, sleep=sleeps), 30)
    assert sleeps.delays == []  # not retried


async def test_discord_start_logs_no_misleading_warning(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No 'message content intent is missing' (the README says to leave it off) and no
    voice-library warnings (the bot has no voice)."""
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True  # a fresh process
    services = await open_services(Settings(database_path=db_path))
    caplog.set_level(logging.WARNING)
    try:
        async with BriefBot(services.settings, services=services, sync=False):
            pass  # entering runs discord.py's set-up, as `login` does first
    finally:
        await services.close()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("discord")] == []


async def test_a_metrics_port_in_use_stops_the_start_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(
            database_path=tmp_path / "bot.sqlite3",
            telegram_token="123:abc",
            metrics_port=port,
        )
        with pytest.raises(ConfigError) as err:
            await run_front_ends(settings)
    message = str(err.value)
    assert message.startswith(f"METRICS_PORT: cannot listen on 127.0.0.1:{port}")
    assert "\n" not in message
