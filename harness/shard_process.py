"""A Discord shard process of the bot, for the multi-process tests: configured by the
environment like `briefbot run` (DATABASE_URL, DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS), its
front end the real sharded client against SimCord, its digests sent by the real delivery
engine through discord.py's REST client to a shared fake Discord.

    DATABASE_URL=… DISCORD_SHARD_COUNT=2 DISCORD_SHARD_IDS=1 \\
        python -m harness.shard_process --api http://127.0.0.1:PORT/api/v10 [--lease 3]

SimCord simulates Discord inside one event loop, so each process has its own simulated
Discord holding the servers of its shards (a server per shard). The digests of every server
go to the one loopback fake Discord (`harness.fake_discord`) that all processes share, as
they would to Discord's REST API: there a duplicate or a missing message is countable. The
front end's own digest sender is stopped at start (it would post into the process's private
SimCord, which the other processes cannot see); the engine below takes its place, built the
same way with the lease given (the production lease is ten minutes).

It reads commands from stdin, one a line, and answers each with one JSON line on stdout:

* at start, without being asked: `{"event": "ready", "shards": […], "guild": …,
  "brief": "…"}`: a member's /brief in its server was answered;
* `brief`: a member's /brief again, `{"event": "brief", …}`;
* `deliver`: start sweeping what is due every `--sweep` seconds, `{"event": "swept",
  "outcomes": {…}}` after the first sweep;
* `stop` (or end of input): stop sweeping, shut down, `{"event": "stopped", "outcomes": …}`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from datetime import timedelta
from typing import Any, cast

import discord
import discord.http
from simcord.env import Env

from bot.config import load_settings
from bot.core.digests.building import DigestBuilder
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.pacing import PacingConfig
from bot.discord.client import BriefBot, make_bot
from bot.discord.exts._digest_poster import DiscordPoster, no_resend_trace
from bot.domain.clock import system_clock
from storage.sqlite.database import Database


def emit(event: str, **fields: Any) -> None:
    """One JSON line on stdout (the test reads them as they come)."""
    print(json.dumps({"event": event, **fields}), flush=True)


async def rest_client(api: str) -> discord.Client:
    """discord.py's REST client pointed at the fake Discord (no gateway)."""
    discord.http.Route.BASE = api
    client = discord.Client(intents=discord.Intents.none(), http_trace=no_resend_trace())
    data = await client.http.static_login("fake-token")
    client._connection.user = discord.ClientUser(state=client._connection, data=data)
    return client


def answer_text(result: Any) -> str:
    """What the member saw: the answer's text, else its embeds' titles."""
    response = result.response
    if response is None:
        return ""
    titles = " ".join(e.title or "" for e in response.embeds or [])
    return str(response.content or "") + titles


class ShardProcess:
    """One bot process: a sharded front end and a digest sender on the shared database."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.settings = load_settings(dotenv=None)
        self.bot: BriefBot = make_bot(self.settings, clock=system_clock)
        shards = self.settings.discord_shard_ids or ()
        # Only the process running shard 0 uploads the commands; the others' simulated
        # Discord knows them already (commands are global at Discord).
        self.env = Env(self.bot, strict_sync=0 in shards)
        self.shards = list(shards)
        self.outcomes: Counter[str] = Counter()
        self.sweeping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.env.start()
        # Stop the front end's sender before anything is due: its engine never leads.
        await self.bot.services.digests.stop("discord")
        self.guild = self.env.create_guild(f"Shard {self.shards[0]}", shard_id=self.shards[0])
        self.channel = self.guild.create_text_channel("general")
        self.member = self.guild.add_member(self.env.create_user("member"))
        self.client = await rest_client(self.args.api)
        db = cast("Database", self.bot.services.db)
        self.engine = DeliveryEngine(
            db,
            DiscordPoster(self.client),
            DigestBuilder(db, self.bot.services.renderers.discord),
            system_clock,
            pacing=PacingConfig(global_rate=self.args.rate, global_burst=self.args.burst),
            lease=timedelta(seconds=self.args.lease),
            platforms={"discord"},
        )

    async def brief(self) -> dict[str, Any]:
        result = await self.member.slash(self.channel, "brief", topic="japan-korea")
        served_by = self.bot.get_guild(self.guild.id)
        return {
            "shards": self.shards,
            "guild": self.guild.id,
            "guild_shard": None if served_by is None else served_by.shard_id,
            "brief": answer_text(result),
        }

    async def _sweep(self) -> None:
        first = True
        while True:
            outcomes = await self.engine.run_due()
            self.outcomes.update(o.kind for o in outcomes)
            if first:
                emit("swept", outcomes=dict(Counter(o.kind for o in outcomes)))
                first = False
            await asyncio.sleep(self.args.sweep)

    async def stop(self) -> None:
        if self.sweeping is not None:
            self.sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeping
        self.engine.close()
        await self.client.http.close()
        await self.env.shutdown()

    async def serve(self) -> None:
        await self.start()
        try:
            emit("ready", owner=self.engine.owner, **await self.brief())
            while True:
                line = (await asyncio.to_thread(sys.stdin.readline)).strip()
                if line == "brief":
                    emit("brief", **await self.brief())
                elif line == "deliver" and self.sweeping is None:
                    self.sweeping = asyncio.create_task(self._sweep())
                elif line in ("stop", ""):
                    break
        finally:
            await self.stop()
        emit("stopped", outcomes=dict(self.outcomes), leads_taken=self.engine.leads_taken)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.shard_process")
    parser.add_argument("--api", required=True, help="the fake Discord's API base URL")
    parser.add_argument("--lease", type=float, default=600.0, help="delivery lease, seconds")
    parser.add_argument("--sweep", type=float, default=0.2, help="seconds between sweeps")
    parser.add_argument("--rate", type=float, default=PacingConfig.global_rate)
    parser.add_argument("--burst", type=float, default=PacingConfig.global_burst)
    asyncio.run(ShardProcess(parser.parse_args(argv)).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
