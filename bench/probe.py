"""The memory probe: a separate process that opens the catalogue as the bot does, serves a
few hundred briefs and searches, and prints its peak RSS as one JSON line.

    python -m bench.probe DATABASE [--briefs N] [--searches N] [--words a,b] [--guilds 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
from datetime import date
from pathlib import Path

import discord  # the bot process has discord.py loaded; count its footprint too

from bench.measure import BRIEF_BLOCKS, fixed_clock
from bot.config import Settings
from bot.core import lookup
from bot.core.briefs import PERIODS, compose_brief
from bot.core.topics import all_topics
from bot.domain.scope import Scope
from bot.services import BOT_READERS, open_services


def rss_mb() -> float:
    """The current resident set size, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    """The peak resident set size of this process image, from /proc (VmHWM).

    Not `ru_maxrss`: Linux carries that across exec, so a probe started by the bench
    process (holding the generated catalogue) would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def serve(args: argparse.Namespace) -> dict[str, object]:
    clock = fixed_clock(date.fromisoformat(args.anchor))
    # As the running bot opens it: with its read-only reader connections.
    services = await open_services(
        Settings(database_path=Path(args.database)), clock=clock, readers=BOT_READERS
    )
    opened = rss_mb()
    rng = random.Random(7)
    topics = [t.slug for t in all_topics()]
    guilds: list[Scope | None] = [
        None,
        *(Scope.discord(int(g)) for g in args.guilds.split(",") if g),
    ]
    words = [w for w in args.words.split(",") if w] or ["korea"]
    try:
        for _ in range(args.briefs):
            brief = await compose_brief(
                services.db,
                rng.choice(topics),
                rng.choice(guilds),
                period=rng.choice(list(PERIODS)),
                clock=clock,
            )
            for block in BRIEF_BLOCKS:
                services.renderers.discord.render_block("brief.j2", block, brief=brief)
        for _ in range(args.searches):
            results = await lookup.search(services.db, rng.choice(words), rng.choice(guilds))
            services.renderers.discord.render("search.j2", results=results)
    finally:
        await services.close()
    return {
        "peak_rss_mb": round(peak_mb(), 1),
        "rss_after_open_mb": round(opened, 1),
        "briefs": args.briefs,
        "searches": args.searches,
        "discord_py": discord.__version__,
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.probe")
    p.add_argument("database")
    p.add_argument("--briefs", type=int, default=300)
    p.add_argument("--searches", type=int, default=300)
    p.add_argument("--anchor", default=date.today().isoformat())
    p.add_argument("--words", default="")
    p.add_argument("--guilds", default="")
    print(json.dumps(asyncio.run(serve(p.parse_args()))))


if __name__ == "__main__":
    main()
