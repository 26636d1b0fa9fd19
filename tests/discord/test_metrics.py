"""The metrics and health server of a running bot, scraped over loopback: the real bot
against SimCord on a real SQLite file, the real aiohttp server, Prometheus's own parser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.health import HealthServer
from bot.runner import FrontEnds
from tests.discord._support import refusals, refused
from tests.discord.conftest import World


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


class Scraper:
    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session = session
        self.base = f"http://127.0.0.1:{port}"

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self.base + path) as response:
            return response.status, await response.text()

    async def metrics(self) -> str:
        status, text = await self.get("/metrics")
        assert status == 200
        return text


@pytest.fixture
async def served(world: World) -> AsyncIterator[tuple[Scraper, FrontEnds]]:
    """The bot's process as `briefbot run` sets it up with METRICS_PORT: its front ends
    (Discord, connected to SimCord) and the server on a free loopback port."""
    services = world.env.bot.services
    services.settings = replace(services.settings, discord_token="simulated")
    running = FrontEnds(services)
    running.discord = world.env.bot
    server = HealthServer(services, running.problems, host="127.0.0.1", port=0)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Scraper(session, port), running
    finally:
        await server.stop()


async def test_healthz_is_ready_when_the_database_and_discord_are_up(
    world: World, served: tuple[Scraper, FrontEnds]
) -> None:
    scraper, running = served
    assert await scraper.get("/healthz") == (200, "ready\n")
    running.discord = None  # as before the gateway connected
    assert await scraper.get("/healthz") == (503, "discord: not connected to the gateway\n")


async def test_a_command_answered_moves_its_count_and_latency(
    world: World, served: tuple[Scraper, FrontEnds]
) -> None:
    scraper, _ = served
    name = "briefbot_command_seconds_count"
    labels = {"command": "brief", "platform": "discord"}
    before = sample(await scraper.metrics(), name, **labels)
    r = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert r.response is not None
    refusal = await world.member.slash(world.general, "brief", topic="no-such-topic")
    assert "no-such-topic" in refused(refusal)
    assert len(refusals(world.env)) == 1
    text = await scraper.metrics()
    assert sample(text, name, **labels) == before + 2  # a refusal is an answer too
    assert sample(text, "briefbot_command_seconds_sum", **labels) > 0
    assert sample(text, "briefbot_command_seconds_bucket", le="+Inf", **labels) == before + 2


async def test_a_digest_sent_moves_its_counter_and_the_sender_is_shown(
    world: World, served: tuple[Scraper, FrontEnds]
) -> None:
    scraper, _ = served
    sent = {"platform": "discord", "outcome": "sent"}
    assert sample(await scraper.metrics(), "briefbot_digests_total", **sent) == 0
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    r = await world.mod.slash(world.general, "digest send-now")
    assert "Posted the digest" in refused(r)
    text = await scraper.metrics()
    assert sample(text, "briefbot_digests_total", **sent) == 1
    assert sample(text, "briefbot_digests_total", platform="discord", outcome="failed") == 0
    leader = {"singleton": "digest_sender", "platform": "discord"}
    assert sample(text, "briefbot_singleton_leader", **leader) == 1
    assert sample(text, "briefbot_digests_waiting", platform="discord") == 0
    assert "briefbot_db_connections_in_use" in text
    assert "briefbot_feed_polls_total" in text


def test_the_scrape_parser_reads_what_it_is_given() -> None:
    text = 'm_total{a="1"} 3.0\n'
    assert sample(text, "m_total", a="1") == 3.0
    assert sample(text, "m_total", a="2") == 0.0
