"""A delivery worker process: discord.py's REST client pointed at a fake Discord, the real
delivery engine over a real SQLite file. Runs what is due once and exits.

    python -m tests.harness.worker --db PATH --api http://127.0.0.1:PORT/api/v10

It prints one JSON line with the outcome counts. The kill test SIGKILLs it mid-fan-out
and starts it again; the benchmark uses it to measure throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter

import discord
import discord.http

from bot.core.clock import system_clock
from bot.core.delivery import DeliveryEngine, PacingConfig, RetryPolicy
from bot.core.digests import DigestBuilder
from bot.core.rendering import Renderer
from bot.exts.digests import DiscordPoster
from storage.database import Database


async def run(args: argparse.Namespace) -> dict[str, object]:
    discord.http.Route.BASE = args.api
    client = discord.Client(intents=discord.Intents.none())
    # No gateway: REST only. static_login checks the token with GET /users/@me.
    data = await client.http.static_login("fake-token")
    client._connection.user = discord.ClientUser(state=client._connection, data=data)
    db = await Database.open(args.db)
    pacing = PacingConfig(
        global_rate=args.rate, global_burst=args.burst, concurrency=args.concurrency
    )
    engine = DeliveryEngine(
        db,
        DiscordPoster(client),
        DigestBuilder(db, Renderer("discord")),
        system_clock,
        pacing=pacing,
        retry=RetryPolicy(base_delay=0.05, max_delay=1.0),
    )
    started = time.monotonic()
    try:
        outcomes = await engine.run_due(takeover=True)
    finally:
        await db.close()
        await client.http.close()
    return {
        "outcomes": dict(Counter(o.kind for o in outcomes)),
        "messages": sum(len(o.message_ids) for o in outcomes),
        "seconds": round(time.monotonic() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.harness.worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--rate", type=float, default=PacingConfig.global_rate)
    parser.add_argument("--burst", type=float, default=PacingConfig.global_burst)
    parser.add_argument("--concurrency", type=int, default=PacingConfig.concurrency)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
