"""`/brief` end to end through SimCord (informational): the real `BriefBot` with its cogs on
the bench database, a simulated Discord in the same process, a member typing
`/brief topic:…` in a server channel. Timed from the interaction to the bot's answer being
settled: discord.py's command tree, the cog, compose + render, the embed, SimCord's fake
HTTP and gateway. Runs before the digest figures (the database has no subscriptions yet, so
the bot's digest scheduler has nothing to do)."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import simcord

from bench.measure import Timing
from bot.config import Settings
from bot.core.briefs import PERIODS
from bot.core.topics import all_topics
from bot.discord.client import BriefBot
from bot.discord.exts.digests import Digests

BATCH = 20


async def simcord_brief(
    path: Path, anchor: date, guild_ids: list[int], reps: int, seed: int
) -> dict[str, Any]:
    """Median and p99 of `member.slash(channel, "brief", topic=…, period=…)`."""
    moment = datetime.combine(anchor, dtime(12, 0), tzinfo=UTC)
    rng = random.Random(seed)
    topics = [t.slug for t in all_topics()]
    timing = Timing()
    done = 0
    while done < reps:
        # A fresh bot and Env every BATCH requests: each /brief leaves a paging view with a
        # timeout, and SimCord's settling scans all of them, so one long session would time
        # the simulator (~0.5 s a request after 200) rather than the bot.
        bot = BriefBot(Settings(database_path=path, log_level="WARNING"), clock=lambda: moment)
        try:
            done = await _session(bot, guild_ids, topics, rng, timing, done, reps)
        finally:
            # SimCord does not close the bot: its database's aiosqlite thread would keep
            # the bench process alive after the results are written.
            if hasattr(bot, "services"):
                await bot.services.close()
    return {"simcord_brief_e2e": timing.summary()}


async def _session(
    bot: BriefBot,
    guild_ids: list[int],
    topics: list[str],
    rng: random.Random,
    timing: Timing,
    done: int,
    reps: int,
) -> int:
    """One fresh SimCord session of up to BATCH requests; the running count of requests."""
    async with simcord.run(bot) as env:
        # The digest scheduler's minute sweep is not part of /brief.
        digests = bot.get_cog("Digests")
        if isinstance(digests, Digests):
            digests.scheduler.shutdown()
        # A server that owns developments in the catalogue (when there are any).
        guild = env.create_guild("Bench", id=guild_ids[0]) if guild_ids else env.create_guild()
        channel = guild.create_text_channel("general")
        member = guild.add_member(env.create_user("reader"))
        await member.slash(channel, "brief", topic=topics[0])  # warm, outside the figure
        for _ in range(min(BATCH, reps - done)):
            options = {"topic": rng.choice(topics), "period": rng.choice(list(PERIODS))}
            started = time.perf_counter()
            result = await member.slash(channel, "brief", **options)
            timing.add(time.perf_counter() - started)
            done += 1
            if result.response is None or not result.response.embeds:
                raise RuntimeError(f"/brief {options} gave no embed")
    return done
