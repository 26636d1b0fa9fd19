"""Telegram digest delivery at scale: 2,000 chat digests through the real delivery engine,
`TelegramPoster` and python-telegram-bot (with its AIORateLimiter) to the fake Bot API of
`harness` (30 messages in any second overall, 429 beyond it).

    python -m bench.telegram [--chats 2000]

Prints one JSON object: messages per second as a share of Telegram's 30/s (target ≥ 90%),
429s (target 0) and duplicate messages (target 0). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter, ExtBot

from bot.config import Settings
from bot.core.actors import Actor
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.pacing import PacingConfig
from bot.core.rendering import Renderer
from bot.core.scope_moves import move_scope
from bot.core.subscriptions import SubscriptionService
from bot.domain.clock import system_clock
from bot.domain.scope import Scope
from bot.services import Services
from bot.telegram.app import GROUP_RATE, OVERALL_RATE
from bot.telegram.digests import TelegramDigestBuilder, TelegramPoster
from storage.sqlite.database import Database

TELEGRAM_LIMIT = 30  # messages per second overall
FIRST_CHAT = 600_000_001
TARGETS = {"share_of_limit": 0.90, "rate_limited": 0, "duplicates": 0}


async def seed(path: Path, chats: int) -> None:
    """`chats` private chats, each subscribed daily to one topic, all due now."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    at = f"{(now - timedelta(hours=1)):%H:%M}"
    db = await Database.open(path)
    try:
        subs = SubscriptionService(db, lambda: now - timedelta(days=3))
        for chat in range(FIRST_CHAT, FIRST_CHAT + chats):
            admin = Actor(
                user_id="tg:1", name="bench", scope=Scope.telegram(chat), is_moderator=True
            )
            await subs.subscribe(
                admin, admin.scope, chat, topics="russia", cadence="daily", at=at, post_empty=True
            )
    finally:
        await db.close()


async def measure(chats: int) -> dict[str, Any]:
    """Seed, deliver everything due once, and report the figures."""
    from harness.fake_telegram import TOKEN, FakeTelegram

    server = FakeTelegram(chat_limit=1)
    stamps: list[float] = []
    server.after_send = lambda sent: stamps.append(time.monotonic())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        await seed(path, chats)
        api = await server.start()
        limiter = AIORateLimiter(
            overall_max_rate=OVERALL_RATE, group_max_rate=GROUP_RATE, group_time_period=60
        )
        bot: ExtBot[int] = ExtBot(TOKEN, base_url=api, rate_limiter=limiter)
        db = await Database.open(path)
        try:
            async with bot:
                engine = DeliveryEngine(
                    db,
                    TelegramPoster(
                        bot,
                        lambda old, new: move_scope(db, Scope.telegram(old), Scope.telegram(new)),
                    ),
                    TelegramDigestBuilder(Services(Settings(), db), Renderer("telegram")),
                    system_clock,
                    pacing=PacingConfig(global_rate=46.0),
                )
                started = time.monotonic()
                outcomes = await engine.run_due()
                seconds = time.monotonic() - started
        finally:
            await db.close()
            await server.stop()
    sent = [s for chat in server.sent.values() for s in chat]
    per_chat = Counter((s.chat_id, s.text) for s in sent)
    span = (stamps[-1] - stamps[0]) if len(stamps) > 1 else seconds
    rate = (len(stamps) - 1) / span if span > 0 else 0.0
    return {
        "chats": chats,
        "messages": len(sent),
        "outcomes": dict(Counter(o.kind for o in outcomes)),
        "seconds": round(seconds, 2),
        "messages_per_second": round(rate, 2),
        "share_of_limit": round(rate / TELEGRAM_LIMIT, 3),
        "rate_limited": server.rate_limited,
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "targets": TARGETS,
    }


def main(argv: list[str] | None = None) -> int:
    """Run and print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.telegram")
    parser.add_argument("--chats", type=int, default=2000)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.chats)), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
