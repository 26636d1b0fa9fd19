"""A delivery worker process: discord.py's REST client pointed at a fake Discord, the real
delivery engine (and, with `--jobs`, the real scheduler) over a real SQLite file or a
PostgreSQL database (`--db postgresql://…`).

    python -m harness.worker --db PATH|URL --api http://127.0.0.1:PORT/api/v10
        [--jobs --due ISO] [--until-done SECONDS]

Without `--jobs` it runs what is due once (the sweep) and exits. With `--until-done` it
stays, as a running bot does: it sweeps, and between sweeps runs the engine's watch (a
standby takes over a dead sender there), until nothing is due or open any more; it prints
`{"ready": …}` after its first sweep. With `--jobs` it starts the
`DigestScheduler` on a clock that reaches `--due` a moment after start, so every subscription
due then is fired by its own scheduler job — the path production takes at Monday 09:00 — and
exits once every job has run. It prints one JSON line: outcome counts, messages, seconds and
the event loop's lag. The kill test SIGKILLs it mid-fan-out; the benchmark runs one or two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import discord.http

from bot.core.digests.building import DigestBuilder
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.pacing import PacingConfig
from bot.core.digests.scheduler import DigestScheduler
from bot.core.rendering import Renderer
from bot.discord.exts._digest_poster import DiscordPoster, no_resend_trace
from bot.domain.clock import system_clock
from storage import subscriptions as store
from storage.contract import Db
from storage.sqlite.database import Database

LAG_TICK = 0.01


class ShiftedClock:
    """Real time, shifted so that `start` is now."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _lag_monitor(samples: list[float], stop: asyncio.Event) -> None:
    """How late the loop wakes a task that asked to sleep LAG_TICK (a blocked loop misses
    gateway heartbeats)."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(LAG_TICK)
        samples.append(time.perf_counter() - asked - LAG_TICK)


def _p99(samples: list[float]) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _client(api: str) -> discord.Client:
    discord.http.Route.BASE = api
    client = discord.Client(intents=discord.Intents.none(), http_trace=no_resend_trace())
    # No gateway: REST only. static_login checks the token with GET /users/@me.
    data = await client.http.static_login("fake-token")
    client._connection.user = discord.ClientUser(state=client._connection, data=data)
    return client


async def _by_jobs(engine: DeliveryEngine, db: Db, due: datetime, lead: float) -> Counter[str]:
    clock = ShiftedClock(due - timedelta(seconds=lead))
    engine.clock = clock
    scheduler = DigestScheduler(engine, db, clock, sweep_seconds=0)
    await scheduler.start()
    expected = len(scheduler.jobs())
    try:
        while sum(scheduler.counts.values()) < expected:
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown()
    return scheduler.counts


async def _until_done(
    engine: DeliveryEngine, db: Db, seconds: float, leads: list[float]
) -> tuple[Counter[str], int]:
    """Sweep, watch between sweeps, until nothing is due or open (or `seconds` passed)."""
    counts: Counter[str] = Counter()
    messages = 0
    deadline = time.monotonic() + seconds
    pause = engine.watch_seconds or 0.5
    ready = False
    while True:
        taken = engine.leads_taken
        outcomes = await engine.run_due()
        if engine.leads_taken > taken:
            leads.append(time.time())
        counts.update(o.kind for o in outcomes if o.kind != "standby")
        counts["standby"] += any(o.kind == "standby" for o in outcomes)
        messages += sum(len(o.message_ids) for o in outcomes if o.kind == "sent")
        if not ready:
            ready = True
            print(json.dumps({"ready": engine.leads_taken > 0}), flush=True)
        if time.monotonic() > deadline:
            break
        if not await store.open_delivery_subscription_ids(db) and not (
            await store.due_subscription_ids(db, engine.clock())
        ):
            break
        await asyncio.sleep(pause)
        taken = engine.leads_taken
        await engine.watch()
        if engine.leads_taken > taken:
            leads.append(time.time())
    return counts, messages


async def run(args: argparse.Namespace) -> dict[str, Any]:
    client = await _client(args.api)
    db = await Database.open(str(args.db))
    pacing = PacingConfig(
        global_rate=args.rate, global_burst=args.burst, concurrency=args.concurrency
    )
    engine = DeliveryEngine(
        db,
        DiscordPoster(client),
        DigestBuilder(db, Renderer("discord")),
        system_clock,
        pacing=pacing,
        platforms={"discord"},  # a Discord-only process
    )
    lag: list[float] = []
    stop = asyncio.Event()
    monitor = asyncio.create_task(_lag_monitor(lag, stop))
    started = time.monotonic()
    leads: list[float] = []
    try:
        if args.now is not None and not args.jobs:
            fixed = args.now
            engine.clock = lambda: fixed
        if args.until_done is not None:
            counts, messages_sent = await _until_done(engine, db, args.until_done, leads)
            messages: int | None = messages_sent
        elif args.jobs:
            counts = await _by_jobs(engine, db, args.due, args.lead)
            messages = None
        else:
            outcomes = await engine.run_due()
            counts = Counter(o.kind for o in outcomes)
            messages = sum(len(o.message_ids) for o in outcomes if o.kind == "sent")
    finally:
        stop.set()
        await monitor
        await engine.aclose()
        await db.close()
        await client.http.close()
    return {
        "outcomes": dict(counts),
        "messages": messages,
        "seconds": round(time.monotonic() - started, 3),
        "leads_taken": engine.leads_taken,
        "lead_taken_at": leads,  # unix times this process took a sender lead
        "loop_lag_p99_ms": round(_p99(lag) * 1000, 2),
        "loop_lag_max_ms": round(max(lag, default=0.0) * 1000, 2),
        "pacing": {"global_rate": args.rate, "burst": args.burst, "concurrency": args.concurrency},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--rate", type=float, default=PacingConfig.global_rate)
    parser.add_argument("--burst", type=float, default=PacingConfig.global_burst)
    parser.add_argument("--concurrency", type=int, default=PacingConfig.concurrency)
    parser.add_argument("--now", type=datetime.fromisoformat, default=None)
    parser.add_argument("--jobs", action="store_true", help="fire through scheduler jobs")
    parser.add_argument("--due", type=datetime.fromisoformat, default=None)
    parser.add_argument("--lead", type=float, default=1.0, help="seconds before --due at start")
    parser.add_argument(
        "--until-done", type=float, default=None, help="stay (sweeping) up to this many seconds"
    )
    args = parser.parse_args(argv)
    if args.jobs and args.due is None:
        parser.error("--jobs needs --due")
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
