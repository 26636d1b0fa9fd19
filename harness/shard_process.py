"""A Discord shard process of the bot, for the multi-process tests: configured by the
environment like `briefbot run` (DATABASE_URL, DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS), its
front end the real sharded client against SimCord, its digests sent by the process's own
delivery engine and scheduler through discord.py's REST client to a shared fake Discord.

    DATABASE_URL=… DISCORD_SHARD_COUNT=2 DISCORD_SHARD_IDS=1 \\
        python -m harness.shard_process --api http://127.0.0.1:PORT/api/v10 [--lease 3]

SimCord simulates Discord inside one event loop, so each process has its own simulated
Discord holding the servers of its shards (a server per shard). The digests of every server
go to the one loopback fake Discord (`harness.fake_discord`) that all processes share, as
they would to Discord's REST API: there a duplicate or a missing message is countable. Only
two things differ from `briefbot run`: the Discord front end's digests are posted over REST
(into the process's private SimCord the other processes could not see them), and the
delivery lease is `--lease` (ten minutes in production) so that a test need not wait for it.

It reads commands from stdin, one a line, and answers each with one JSON line on stdout:

* at start, without being asked: `{"event": "ready", "shards": […], "guild": …,
  "brief": "…"}`: a member's /brief in its server was answered;
* `brief`: a member's /brief again, `{"event": "brief", …}`;
* `deliver`: run the scheduler's sweep (what is due or interrupted) every `--sweep` seconds
  (production: every minute, besides each subscription's own job), `{"event": "swept",
  "outcomes": {…}}` after the first;
* `stop` (or an empty line, or end of input): stop sweeping, shut down, `{"event": "stopped", "outcomes": …}`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

import discord
import discord.http
from simcord.env import Env

from bot.config import configure_logging, load_settings
from bot.core.digests.building import DigestBuilder
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.leadership import LedgerLeadership
from bot.core.digests.pacing import Pacer, PacingConfig
from bot.discord.client import BriefBot, make_bot
from bot.discord.exts._digest_poster import DiscordPoster, no_resend_trace
from bot.domain.clock import system_clock


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
        # Logged as `briefbot run` logs (stderr; the test keeps it to show on failure).
        configure_logging(self.settings.log_level, secrets=[self.settings.database_url])
        self.bot: BriefBot = make_bot(self.settings, clock=system_clock)
        shards = self.settings.discord_shard_ids or ()
        # Only the process running shard 0 uploads the commands; the others' simulated
        # Discord knows them already (commands are global at Discord).
        self.env = Env(self.bot, strict_sync=0 in shards)
        self.shards = list(shards)
        self.outcomes: Counter[str] = Counter()
        self.sweeping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        setup_hook = self.bot.setup_hook

        async def set_up() -> None:
            # Right after the front end registered its sender, before its start-up catch-up
            # runs (at ready) and takes the lead: with the test's lease and pace, over REST.
            await setup_hook()
            self.client = await rest_client(self.args.api)
            svc = self.bot.services
            self.hub = svc.digests
            self.hub.register(
                "discord", DiscordPoster(self.client), DigestBuilder(svc.db, svc.renderers.discord)
            )
            self._tune(self.hub.engine)

        self.bot.setup_hook = set_up  # type: ignore[method-assign]
        await self.env.start()
        self.guild = self.env.create_guild(f"Shard {self.shards[0]}", shard_id=self.shards[0])
        self.channel = self.guild.create_text_channel("general")
        self.member = self.guild.add_member(self.env.create_user("member"))

    def _tune(self, engine: DeliveryEngine) -> None:
        """The two knobs a test turns, set before anything is sent: the lease (how long a
        dead sender's deliveries wait where the sender's death cannot be seen) and the pace."""
        if self.args.lease is not None:
            lease = timedelta(seconds=self.args.lease)
            engine.lease = lease
            if isinstance(engine.leadership, LedgerLeadership):
                engine.leadership.lease = lease
        engine.pacing = PacingConfig(global_rate=self.args.rate, global_burst=self.args.burst)
        engine.pacer = Pacer(engine.pacing, engine.timer)

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
            outcomes = await self.hub.scheduler.sweep()
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
        # The front end stops first (it stops sending, then gives up the lead), then the
        # REST session its sender used.
        await self.env.shutdown()
        await self.client.http.close()

    async def serve(self) -> None:
        await self.start()
        try:
            emit("ready", owner=self.hub.engine.owner, **await self.brief())
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
        emit("stopped", outcomes=dict(self.outcomes), leads_taken=self.hub.engine.leads_taken)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.shard_process")
    parser.add_argument("--api", required=True, help="the fake Discord's API base URL")
    parser.add_argument(
        "--lease", type=float, default=None, help="delivery lease, seconds (default: the bot's)"
    )
    parser.add_argument("--sweep", type=float, default=0.2, help="seconds between sweeps")
    parser.add_argument("--rate", type=float, default=PacingConfig.global_rate)
    parser.add_argument("--burst", type=float, default=PacingConfig.global_burst)
    asyncio.run(ShardProcess(parser.parse_args(argv)).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
