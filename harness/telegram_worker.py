"""A Telegram delivery worker process: python-telegram-bot's Bot (with its AIORateLimiter)
pointed at the fake Bot API, the real delivery engine over a real SQLite file or a PostgreSQL
database (`--db postgresql://…`). Runs what is due once and exits.

    python -m harness.telegram_worker --db PATH|URL --api http://127.0.0.1:PORT/bot

It prints one JSON line with the outcome counts. The kill test SIGKILLs it mid-fan-out and
starts it again; the benchmark uses it to measure throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter

from telegram.ext import AIORateLimiter, ExtBot

from bot.config import Settings
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.pacing import PacingConfig, RetryPolicy
from bot.core.rendering import Renderer
from bot.core.scope_moves import move_scope
from bot.domain.clock import system_clock
from bot.domain.scope import Scope
from bot.services import Services
from bot.telegram.app import GROUP_RATE, OVERALL_RATE
from bot.telegram.digests import SEND_RATE, TelegramDigestBuilder, TelegramPoster
from harness.fake_telegram import TOKEN
from storage.sqlite.database import Database


async def run(args: argparse.Namespace) -> dict[str, object]:
    limiter = AIORateLimiter(
        overall_max_rate=OVERALL_RATE, group_max_rate=GROUP_RATE, group_time_period=60
    )
    bot: ExtBot[int] = ExtBot(TOKEN, base_url=args.api, rate_limiter=limiter)
    db = await Database.open(args.db)
    started = time.monotonic()
    try:
        async with bot:
            poster = TelegramPoster(
                bot,
                lambda old, new: move_scope(db, Scope.telegram(old), Scope.telegram(new)),
                rate=args.rate,
            )
            engine = DeliveryEngine(
                db,
                poster,
                TelegramDigestBuilder(Services(Settings(), db), Renderer("telegram")),
                system_clock,
                pacing=PacingConfig(global_rate=46.0, concurrency=args.concurrency),
                retry=RetryPolicy(base_delay=0.05, max_delay=2.0),
                platforms={"telegram"},  # a Telegram-only process
            )
            outcomes = await engine.run_due()
            await engine.aclose()
    finally:
        await db.close()
    return {
        "outcomes": dict(Counter(o.kind for o in outcomes)),
        "messages": sum(len(o.message_ids) for o in outcomes),
        "seconds": round(time.monotonic() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.telegram_worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--rate", type=float, default=SEND_RATE)
    parser.add_argument("--concurrency", type=int, default=PacingConfig.concurrency)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
