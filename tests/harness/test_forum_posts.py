"""A forum digest's part 1 is a new post, which takes no nonce: with the real discord.py
REST client against the fake Discord, a post whose answer is lost after Discord made it is
found by its marker, never made twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import discord
import discord.http
import pytest

from bot.discord.exts._digest_poster import DiscordPoster, no_resend_trace
from harness.fake_discord import FakeDiscord, Fault

GUILD = 880000000000000001
FORUM = 880000000000000002
DIGEST = "# Trilateral Brief — weekly digest\nSeoul and Tokyo agree\n-# digest · 2023-W19 · ref 1"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    server.add_forum(FORUM, GUILD)
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """discord.py's REST client as the bot builds it (with its trace), a guild with a forum
    in its cache as the gateway would have put them there."""
    original = discord.http.Route.BASE
    discord.http.Route.BASE = fake.url
    bot = discord.Client(intents=discord.Intents.none(), http_trace=no_resend_trace())
    data = await bot.http.static_login("fake-token")
    state = bot._connection
    state.user = discord.ClientUser(state=state, data=data)
    guild = discord.Guild(data=cast(Any, {"id": str(GUILD), "name": "Alpha"}), state=state)
    forum = discord.ForumChannel(
        state=state,
        guild=guild,
        data=cast(
            Any,
            {
                "id": str(FORUM),
                "type": 15,
                "guild_id": str(GUILD),
                "name": "briefings",
                "position": 0,
                "permission_overwrites": [],
                "available_tags": [],
                "flags": 0,
            },
        ),
    )
    guild._add_channel(forum)
    state._add_guild(guild)
    try:
        yield bot
    finally:
        await bot.http.close()
        discord.http.Route.BASE = original


async def test_a_forum_post_whose_answer_is_lost_is_not_made_twice(
    fake: FakeDiscord, client: discord.Client
) -> None:
    fake.fail(FORUM, Fault(502, after_commit=True))  # Discord made the post; the answer is lost
    post_id = await DiscordPoster(client).send(FORUM, DIGEST, nonce="n-1")
    (post,) = fake.posts(FORUM)
    assert post_id == int(post["id"])
    assert [m["content"] for m in fake.messages[post_id]] == [DIGEST]


async def test_a_forum_post_that_was_not_made_is_made_once(
    fake: FakeDiscord, client: discord.Client
) -> None:
    fake.fail(FORUM, Fault(502))  # refused before anything was made
    post_id = await DiscordPoster(client).send(FORUM, DIGEST, nonce="n-1")
    (post,) = fake.posts(FORUM)
    assert post_id == int(post["id"]) and post["name"].startswith("Trilateral Brief")
