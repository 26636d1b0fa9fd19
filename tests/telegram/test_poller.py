"""Several processes on one database, one Telegram bot: only one polls `getUpdates` (Telegram
answers a second poller 409 Conflict); when it dies another takes over within seconds and a
conversation in progress carries on there. Two real Applications against the loopback fake,
on SQLite and on PostgreSQL; a process's death is its lock going away (the flock closed, the
PostgreSQL session terminated by the server) with its polling stopped."""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import cast

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.core.conversations import ConversationStore
from bot.core.dataset import load_starter
from bot.services import Services, open_services
from bot.telegram.app import TelegramBot
from bot.telegram.common import TelegramConfig
from harness.fake_telegram import TOKEN, FakeTelegram
from harness.postgres import ThrowawayCluster
from storage.postgres.database import PostgresDatabase
from storage.postgres.session_lock import AdvisoryLock
from storage.sqlite.database import Database
from tests.helpers import FixedClock
from tests.telegram.conftest import EDITOR_TG, MEMBER_TG, Running
from tests.telegram.test_curating import SOURCE, button, last

ROOT = Path(__file__).resolve().parents[2]
#: how often a stand-by process tries the lock here (the product's default is 3 s)
RETRY = 0.05
TAKEOVER_LIMIT = 10.0

OpenProcess = Callable[[], Awaitable[Services]]
_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
async def open_process(
    request: pytest.FixtureRequest, db_path: Path, clock: FixedClock
) -> AsyncIterator[OpenProcess]:
    """Opens the services of one more "process" on a database shared by all of them."""
    opened: list[Services] = []
    url = ""
    if request.param == "postgresql":
        cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database(f"poller_{next(_names)}")

    async def opener() -> Services:
        if not url:
            services = await open_services(Settings(database_path=db_path), clock=clock)
        else:
            db = await PostgresDatabase.open(url)
            await load_starter(db, clock)
            # Services are typed for SQLite until the PostgreSQL wiring lands; every query
            # the Telegram front end makes is shared by both backends.
            services = Services(Settings(), cast(Database, db), clock)
        opened.append(services)
        return services

    opener.target = url or str(db_path)  # type: ignore[attr-defined]
    yield opener
    for services in opened:
        await services.close()


class Processes:
    """Bots started on the shared database, stopped at the end."""

    def __init__(self, fake: FakeTelegram, open_process: OpenProcess) -> None:
        self.fake = fake
        self.open_process = open_process
        self.bots: list[TelegramBot] = []

    async def start(self) -> TelegramBot:
        services = await self.open_process()
        config = TelegramConfig(
            token=TOKEN, api_url=self.fake.base_url, editor_ids=frozenset({EDITOR_TG})
        )
        bot = TelegramBot(services, config, poll_retry=RETRY)
        await bot.start(poll_timeout=1, digests=False)
        self.bots.append(bot)
        return bot

    async def stop(self) -> None:
        for bot in self.bots:
            await bot.stop()


@pytest.fixture
async def processes(fake: FakeTelegram, open_process: OpenProcess) -> AsyncIterator[Processes]:
    running = Processes(fake, open_process)
    yield running
    await running.stop()


async def die(bot: TelegramBot) -> None:
    """The process is gone: what the kernel or the server does at its death (its lock
    freed: the flock closed, the PostgreSQL session ended by the server), and it polls no
    more. On PostgreSQL the session is terminated from outside and the process finds its
    lock lost by itself — the same as its connection dropping."""
    lock = bot.poller.lock
    if isinstance(lock, AdvisoryLock):
        pid = lock.backend_pid()
        assert pid is not None
        conn = await asyncpg.connect(lock.url)
        try:
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await conn.close()
        await wait_until(lambda: not bot.polling)
        assert not bot.poller.holds
    else:
        await bot.poller.stop()  # no more checks; polling stopped, the flock closed
        assert not bot.polling


async def wait_until(check: Callable[[], bool], limit: float = TAKEOVER_LIMIT) -> float:
    """Seconds until `check()` held (fails after `limit`)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            raise AssertionError(f"not within {limit} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_only_one_process_polls_and_every_command_is_answered_once(
    processes: Processes,
) -> None:
    first = await processes.start()
    second = await processes.start()
    assert first.polling and not second.polling
    assert first.receiving() and second.receiving()  # /healthz: both are ready
    fake = processes.fake
    for n in range(3):
        fake.message(MEMBER_TG, MEMBER_TG, "/help")
        await fake.wait_sent(MEMBER_TG, n + 1)
    await asyncio.sleep(RETRY * 4)  # several lock tries of the second: it still only waits
    assert not second.polling
    assert len(fake.texts(MEMBER_TG)) == 3
    assert fake.conflicts == 0  # Telegram never saw a second poller


async def _poller_metric(bot: TelegramBot) -> float:
    """What the process's /metrics says of it holding the poller."""
    svc = bot.services
    await svc.metrics.refresh(svc.db, svc.clock(), None)
    text = svc.metrics.exposition().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "briefbot_singleton_leader" and sample.labels == {
                "singleton": "telegram_poller",
                "platform": "telegram",
            }:
                return float(sample.value)
    raise AssertionError("no telegram_poller sample")


async def test_the_metrics_show_which_process_polls(processes: Processes) -> None:
    first = await processes.start()
    second = await processes.start()
    assert (await _poller_metric(first), await _poller_metric(second)) == (1, 0)
    await die(first)
    await wait_until(lambda: second.polling)
    assert (await _poller_metric(first), await _poller_metric(second)) == (0, 1)


@pytest.mark.parametrize("end", ["dies", "is stopped"])
async def test_a_takeover_carries_an_add_on_where_it_was(processes: Processes, end: str) -> None:
    fake = processes.fake
    first = await processes.start()
    second = await processes.start()
    fake.message(EDITOR_TG, EDITOR_TG, "/add global")
    assert "title" in (await last(fake, EDITOR_TG, 1)).plain
    fake.message(EDITOR_TG, EDITOR_TG, "Seoul and Tokyo open a joint <b>office</b>")
    assert "Date" in (await last(fake, EDITOR_TG, 2)).plain

    if end == "dies":
        await die(first)
    else:  # a deploy stops the old process gracefully
        processes.bots.remove(first)
        await first.stop()
    took = await wait_until(lambda: second.polling)
    assert took < TAKEOVER_LIMIT

    fake.message(EDITOR_TG, EDITOR_TG, "2023-04-20")
    assert "Summary" in (await last(fake, EDITOR_TG, 3)).plain
    fake.message(EDITOR_TG, EDITOR_TG, "An office in each capital.")
    assert "Sources" in (await last(fake, EDITOR_TG, 4)).plain
    fake.message(EDITOR_TG, EDITOR_TG, SOURCE)
    countries = await last(fake, EDITOR_TG, 5)
    fake.press(EDITOR_TG, EDITOR_TG, countries.message_id, button(countries, "JP"))
    await fake.wait_for(lambda: countries.edits >= 1)
    fake.press(EDITOR_TG, EDITOR_TG, countries.message_id, button(countries, "Done"))
    await fake.wait_for(lambda: "Domain" in countries.plain)
    fake.press(EDITOR_TG, EDITOR_TG, countries.message_id, button(countries, "diplomacy"))
    await fake.wait_for(lambda: "Publish to the global catalogue?" in countries.plain)
    fake.press(EDITOR_TG, EDITOR_TG, countries.message_id, button(countries, "Publish"))
    await fake.wait_for(lambda: countries.plain.startswith("Published #"))
    dev_id = int(countries.plain.split("#")[1].split(" ")[0])
    dev = await second.services.catalogue.show(dev_id, None)
    assert dev.title == "Seoul and Tokyo open a joint <b>office</b>"  # entered on the first


async def test_kill_9_of_the_polling_process_hands_polling_and_the_add_over(
    processes: Processes,
) -> None:
    """A real process polls and is SIGKILLed in the middle of an /add; this one stands by,
    takes over within 10 s (the kernel frees the flock, the server the session and its
    advisory lock) and the editor's /add carries on here."""
    fake = processes.fake
    target: str = processes.open_process.target  # type: ignore[attr-defined]
    await processes.open_process()  # migrated (and seeded) before the other process opens it
    other = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.telegram.poller_process",
        "--db",
        target,
        "--api",
        fake.base_url,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert other.stdout is not None
        line = await asyncio.wait_for(other.stdout.readline(), 60)
        assert line.decode().strip() == "polling"
        here = await processes.start()
        assert not here.polling
        fake.message(EDITOR_TG, EDITOR_TG, "/add global")
        assert "title" in (await last(fake, EDITOR_TG, 1)).plain
        fake.message(EDITOR_TG, EDITOR_TG, "Seoul and Tokyo open a joint office")
        assert "Date" in (await last(fake, EDITOR_TG, 2)).plain
        # Killed between two steps (the title's step is written just after its answer).
        store = ConversationStore(here.services.db, here.services.clock)
        started = time.monotonic()
        while "joint office" not in str(await store.user_data()):
            if time.monotonic() - started > 30:  # a loaded machine; not the measured part
                other.kill()
                _, err = await other.communicate()
                raise AssertionError(f"the step was not written: {err.decode()[-3000:]}")
            await asyncio.sleep(0.02)
        other.kill()
        await other.wait()
        took = await wait_until(lambda: here.polling)
        assert took < TAKEOVER_LIMIT
        fake.message(EDITOR_TG, EDITOR_TG, "2023-04-20")
        assert "Summary" in (await last(fake, EDITOR_TG, 3)).plain
    finally:
        if other.returncode is None:
            other.kill()
            await other.wait()


async def test_a_process_taking_over_again_forgets_what_others_finished(
    processes: Processes,
) -> None:
    """The first process lost the lock in the middle of an /assess that the second then
    finished; when the first polls again, the person's next message is not read as a step
    of that old conversation."""
    fake = processes.fake
    first = await processes.start()
    second = await processes.start()
    fake.message(MEMBER_TG, MEMBER_TG, "/assess japan-korea")
    await last(fake, MEMBER_TG, 1)
    # The first loses its lock (its connection dropped) but lives on, trying again only
    # when the test says (so that the second surely takes over first).
    first.poller.interval = 3600
    await first.poller.lock.release()
    await wait_until(lambda: second.polling and not first.polling)
    fake.message(MEMBER_TG, MEMBER_TG, "Ties are warming.")
    trend = await last(fake, MEMBER_TG, 2)
    fake.press(MEMBER_TG, MEMBER_TG, trend.message_id, button(trend, "improving"))
    await last(fake, MEMBER_TG, 3)
    fake.message(MEMBER_TG, MEMBER_TG, "-")
    assert (await last(fake, MEMBER_TG, 4)).plain.startswith("Assessment of japan-korea set")

    await die(second)
    assert await first.poller.step()
    assert first.polling
    fake.message(MEMBER_TG, MEMBER_TG, "/help")
    await last(fake, MEMBER_TG, 5)
    fake.message(MEMBER_TG, MEMBER_TG, "Not a bottom line, just chatting.")
    fake.message(MEMBER_TG, MEMBER_TG, "/help")
    sixth = await last(fake, MEMBER_TG, 6)
    assert "Trend" not in sixth.plain  # the old /assess did not swallow the chat message
    await asyncio.sleep(RETRY * 2)
    assert len(fake.texts(MEMBER_TG)) == 6


async def test_another_program_polling_the_bot_is_logged_once_and_polling_recovers(
    tg: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """A misconfigured second deployment (same token, another database) polls too:
    Telegram answers 409; the bot says so once, without its token, keeps trying with
    growing pauses, and answers again once the other program stops."""
    fake = tg.fake
    caplog.set_level(logging.INFO)
    url = f"{fake.base_url}{TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as rogue:
        while fake.conflicts < 4:  # the bot's requests and the rogue's end each other
            async with rogue.post(url, data={"timeout": "1"}) as answer:
                await answer.read()
    assert tg.bot.polling
    # (httpx's request lines carry the token: the process's log filter redacts those.)
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert len([r for r in ours if "409 Conflict" in r.getMessage()]) == 1
    assert all(TOKEN not in r.getMessage() for r in ours)
    fake.message(MEMBER_TG, MEMBER_TG, "/help")
    await fake.wait_sent(MEMBER_TG, 1, timeout=TAKEOVER_LIMIT)
