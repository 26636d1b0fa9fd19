"""Discord shards across processes: a process runs only its DISCORD_SHARD_IDS, answers the
servers of those shards on the shared database, and only the process running shard 0
publishes the slash commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.ext import commands
from simcord.env import Env

from bot.config import Settings
from bot.discord.client import BriefBot, ShardedBriefBot, make_bot
from tests.conftest import BACKENDS
from tests.discord.conftest import fixed_clock


def shard_process(database: dict[str, Any], ids: tuple[int, ...], count: int = 2) -> BriefBot:
    """A bot process on `database` (DATABASE_PATH or DATABASE_URL) configured as
    DISCORD_SHARD_COUNT=count, DISCORD_SHARD_IDS=ids."""
    settings = Settings(**database, discord_shard_count=count, discord_shard_ids=ids)
    return make_bot(settings, clock=fixed_clock)


def syncs(env: Any) -> list[str]:
    """The command-tree uploads the process made (PUT …/commands)."""
    return [e.path for e in env.http_requests if e.method == "PUT" and e.path.endswith("/commands")]


@asynccontextmanager
async def running(bot: BriefBot, *, strict_sync: bool) -> AsyncIterator[Any]:
    env = Env(bot, strict_sync=strict_sync)
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()


def test_without_shard_variables_the_client_is_the_single_connection_of_before() -> None:
    bot = make_bot(Settings())
    assert type(bot) is BriefBot
    assert not isinstance(bot, commands.AutoShardedBot)
    assert bot.shard_count is None and bot.sync_on_start


def test_the_shard_variables_make_a_sharded_client_of_those_shards() -> None:
    bot = shard_process({"database_path": Path("unused.sqlite3")}, (1, 3), count=4)
    assert isinstance(bot, ShardedBriefBot) and isinstance(bot, discord.AutoShardedClient)
    assert bot.shard_count == 4 and bot.shard_ids == [1, 3]
    assert not bot.sync_on_start


@pytest.mark.parametrize("backend", BACKENDS)
async def test_each_shard_process_answers_its_servers_and_only_shard_0_syncs(
    database_settings: dict[str, Any],
) -> None:
    # SimCord runs one simulated Discord per event loop: the two processes on the shared
    # database (one SQLite file, or one PostgreSQL database) take turns, each seeing only
    # its own shard's servers. tests/harness/test_shard_processes.py runs them at once.
    for shard in (0, 1):
        # Only the first process uploads; the second relies on it (Discord's commands are
        # global), so its simulated Discord is told to know the commands without a sync.
        bot = shard_process(database_settings, (shard,))
        async with running(bot, strict_sync=shard == 0) as env:
            assert env.bot.shard_ids == [shard]
            assert len(syncs(env)) == (1 if shard == 0 else 0)
            guild = env.create_guild(f"Shard {shard}", shard_id=shard)
            channel = guild.create_text_channel("general")
            member = guild.add_member(env.create_user("member"))
            answer = await member.slash(channel, "brief", topic="japan-korea")
            assert answer.response is not None
            assert "Japan" in (answer.response.content or "") or answer.response.embeds
            assert env.bot.get_guild(guild.id).shard_id == shard
