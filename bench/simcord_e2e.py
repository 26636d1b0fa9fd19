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
from bot.client import BriefBot
from bot.config import Settings
from bot.core.briefs import PERIODS
from bot.core.topics import all_topics


async def simcord_brief(
    path: Path, anchor: date, guild_ids: list[int], reps: int, seed: int
) -> dict[str, Any]:
    """Median and p99 of `member.slash(channel, "brief", topic=…, period=…)`."""
    moment = datetime.combine(anchor, dtime(12, 0), tzinfo=UTC)
    bot = BriefBot(Settings(database_path=path, log_level="WARNING"), clock=lambda: moment)
    rng = random.Random(seed)
    topics = [t.slug for t in all_topics()]
    timing = Timing()
    async with simcord.run(bot) as env:
        # A server that owns developments in the catalogue (when there are any).
        guild = env.create_guild("Bench", id=guild_ids[0]) if guild_ids else env.create_guild()
        channel = guild.create_text_channel("general")
        member = guild.add_member(env.create_user("reader"))
        for topic in topics[:3]:  # first use of each code path, outside the figure
            await member.slash(channel, "brief", topic=topic)
        for _ in range(reps):
            options = {"topic": rng.choice(topics), "period": rng.choice(list(PERIODS))}
            started = time.perf_counter()
            result = await member.slash(channel, "brief", **options)
            timing.add(time.perf_counter() - started)
            if result.response is None or not result.response.embeds:
                raise RuntimeError(f"/brief {options} gave no embed")
    return {"simcord_brief_e2e": timing.summary()}
