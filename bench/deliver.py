"""The benchmark's delivery process: what the bot runs when a period falls due, on its own.

    python -m bench.deliver --db PATH --api http://127.0.0.1:PORT/api/v10 --now ISO

As `tests.harness.worker` (discord.py's REST client pointed at a fake Discord, the real
`DeliveryEngine` with `DiscordPoster` and `DigestBuilder` over the SQLite file), but with the
production pacing and retry defaults and a clock stopped at `--now`, so the bench's period is
due whatever day it runs. Prints one JSON line with the outcome counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from datetime import datetime

import discord
import discord.http

from bot.core.delivery import DeliveryEngine
from bot.core.digests import DigestBuilder
from bot.core.rendering import Renderer
from bot.exts.digests import DiscordPoster
from storage.database import Database


async def run(db_path: str, api: str, now: datetime) -> dict[str, object]:
    discord.http.Route.BASE = api
    client = discord.Client(intents=discord.Intents.none())
    data = await client.http.static_login("fake-token")  # GET /users/@me; no gateway
    client._connection.user = discord.ClientUser(state=client._connection, data=data)
    db = await Database.open(db_path)
    engine = DeliveryEngine(
        db, DiscordPoster(client), DigestBuilder(db, Renderer("discord")), lambda: now
    )
    started = time.monotonic()
    try:
        outcomes = await engine.run_due()
    finally:
        await db.close()
        await client.http.close()
    return {
        "outcomes": dict(Counter(o.kind for o in outcomes)),
        "messages": sum(len(o.message_ids) for o in outcomes),
        "seconds": round(time.monotonic() - started, 3),
        "pacing": {
            "global_rate": engine.pacing.global_rate,
            "global_burst": engine.pacing.global_burst,
            "concurrency": engine.pacing.concurrency,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.deliver")
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--now", required=True, type=datetime.fromisoformat)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.db, args.api, args.now))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
