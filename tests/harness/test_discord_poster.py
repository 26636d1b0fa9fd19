"""`DiscordPoster` — the real discord.py REST client against the loopback fake Discord: the
resume lookup finds the bot's own part in a busy channel, ignores other people's copies,
is paced, and turns network errors into a retryable error instead of aborting delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import discord
import discord.http
import pytest

from bot.core.digests.delivery import RetryableError
from bot.discord.exts._digest_poster import DiscordPoster
from harness.fake_discord import FakeDiscord

CHANNEL = 8801
MARKER = "-# Trilateral Brief digest · 2026-W48 · part 1/1 · ref 0123456789"


@pytest.fixture
async def discord_api() -> AsyncIterator[tuple[FakeDiscord, DiscordPoster]]:
    server = FakeDiscord()
    api = await server.start()
    original = discord.http.Route.BASE
    discord.http.Route.BASE = api
    client = discord.Client(intents=discord.Intents.none())
    data = await client.http.static_login("fake-token")
    client._connection.user = discord.ClientUser(state=client._connection, data=data)
    try:
        yield server, DiscordPoster(client)
    finally:
        await client.http.close()
        discord.http.Route.BASE = original
        await server.stop()


async def test_the_lookup_finds_the_bots_part_behind_a_busy_channel(
    discord_api: tuple[FakeDiscord, DiscordPoster],
) -> None:
    server, poster = discord_api
    claimed = datetime.now(UTC)
    server.chatter(CHANNEL, 30, content="older chatter")
    mine = await poster.send(CHANNEL, f"Digest body\n{MARKER}", nonce="dr0123456789.1")
    server.chatter(CHANNEL, 250)  # the channel kept talking while the bot was down
    server.chatter(CHANNEL, 3, content=f"someone quoting\n{MARKER}")  # not the bot's
    paced = 0

    async def pace() -> None:
        nonlocal paced
        paced += 1

    found = await poster.find(CHANNEL, MARKER, after=claimed, pace=pace)
    assert found == mine
    assert paced == server.history_requests >= 1


async def test_the_lookup_ignores_copies_by_others_and_older_messages(
    discord_api: tuple[FakeDiscord, DiscordPoster],
) -> None:
    server, poster = discord_api
    await poster.send(CHANNEL, f"An older delivery\n{MARKER}", nonce="old.1")
    claimed = datetime.now(UTC) + timedelta(minutes=5)  # claimed after that message
    server.chatter(CHANNEL, 5, content=f"someone quoting\n{MARKER}")

    async def pace() -> None:
        return None

    assert await poster.find(CHANNEL, MARKER, after=claimed, pace=pace) is None


async def test_network_errors_in_the_lookup_are_retryable(
    discord_api: tuple[FakeDiscord, DiscordPoster],
) -> None:
    server, poster = discord_api
    await server.stop()  # connection refused from now on

    async def pace() -> None:
        return None

    with pytest.raises(RetryableError, match="network error"):
        await poster.find(CHANNEL, MARKER, after=datetime.now(UTC), pace=pace)
