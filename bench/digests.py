"""Digests at scale: 2,000 subscriptions on the bench database, one period's digests built,
then delivered through the real scheduler jobs, delivery engine and discord.py's REST client
to the fake Discord of `harness/` (global limit 50 requests per second, 429 beyond it).

Timeline (a fixed clock, so the figures do not depend on the day the bench runs): the
catalogue is imported on the anchor day; the subscriptions are made on the Monday after it at
noon, all weekly on Monday 09:00 UTC; during the week up to the next Monday 09:00 a week's
worth of news is published
(as many developments as the generated catalogue has in a recent week, a tenth of them
servers' own) and some older developments are edited; then, at the Monday 09:00 occurrence,
every subscription owes the same period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from bench.generate import generate
from bench.measure import Timing
from bot.core.actors import Actor
from bot.core.catalogue import Catalogue
from bot.core.digests.building import DigestBuilder
from bot.core.digests.schedule import plan_due
from bot.core.rendering import Renderer
from bot.core.subscriptions import SubscriptionService
from bot.core.topics import all_topics
from bot.core.validation import validate_development
from bot.domain.errors import NotFound
from bot.domain.scope import Scope
from storage import subscriptions as store
from storage.sqlite.database import Database

ROOT = Path(__file__).resolve().parent.parent
EDITOR = Actor(user_id="900000000000000001", name="bench editor", is_editor=True)
DISCORD_LIMIT = 50  # Discord's global limit, requests per second


def _monday_after(day: date) -> date:
    return day + timedelta(days=7 - day.weekday() if day.weekday() else 7)


def timeline(anchor: date) -> tuple[datetime, datetime]:
    """(when the subscriptions are made, when the period is due)."""
    subscribe = datetime.combine(_monday_after(anchor), dtime(12, 0), tzinfo=UTC)
    due = datetime.combine(_monday_after(subscribe.date()), dtime(9, 0), tzinfo=UTC)
    return subscribe, due


class _MovingClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def setup(
    path: Path | str,
    guild_ids: list[int],
    developments: int,
    subscriptions: int,
    seed: int,
    anchor: date,
) -> dict[str, Any]:
    """Subscriptions (through `SubscriptionService`) and a week of news (through `Catalogue`)."""
    rng = random.Random(seed)
    subscribe_at, due_at = timeline(anchor)
    topics = [t.slug for t in all_topics()]
    db = await Database.open(str(path))
    try:
        service = SubscriptionService(db, _MovingClock(subscribe_at))
        guilds = guild_ids or [rng.randrange(10**17, 10**18) for _ in range(100)]
        started = time.perf_counter()
        for i in range(subscriptions):
            guild = guilds[i % len(guilds)]
            moderator = Actor(
                user_id=str(800000000000000000 + i),
                name="bench moderator",
                scope=Scope.discord(guild),
                is_moderator=True,
            )
            await service.subscribe(
                moderator,
                moderator.scope,
                700000000000000000 + i,
                topics=",".join(rng.sample(topics, rng.randint(1, 3))),
                cadence="weekly",
                weekday="monday",
                at="09:00",
                post_empty=rng.random() < 0.5,
            )
        subscribe_s = time.perf_counter() - started

        # A recent week of the generated catalogue has about this many developments
        # (its density at the anchor is 1/0.7 times the mean).
        per_week = max(10, round(developments / (20 * 365) / 0.7 * 7))
        news = generate(per_week, 0, seed=seed + 1, anchor=subscribe_at.date()).document
        clock = _MovingClock(subscribe_at)
        catalogue = Catalogue(db, clock)
        week = timedelta(days=7)
        for n, raw in enumerate(news["developments"]):
            clock.at = due_at - week + week * ((n + 0.5) / per_week)
            fields = {
                k: v for k, v in raw.items() if k not in ("scope", "created_by", "created_at")
            }
            draft = validate_development(fields)
            if guild_ids and rng.random() < 0.1:
                guild = rng.choice(guild_ids)
                mod = Actor(
                    user_id="1",
                    name="bench moderator",
                    scope=Scope.discord(guild),
                    is_moderator=True,
                )
                await catalogue.add(mod, draft, scope="server")
            else:
                await catalogue.add(EDITOR, draft, scope="global")
        # Editors also revise a few older global developments during the week.
        edits = 0
        max_id = int(await db.scalar("SELECT MAX(id) FROM developments") or 0)
        for _ in range(per_week // 5):
            dev_id = rng.randrange(1, max(2, max_id - per_week))
            try:
                dev = await catalogue.show(dev_id, None)
            except NotFound:
                continue  # a server's own development
            if dev.retracted:
                continue
            data = dev.to_dict()
            data["importance"] = 3 if data.get("importance") != 3 else 2
            clock.at = due_at - timedelta(hours=rng.randint(2, 150))
            await catalogue.edit(EDITOR, dev_id, validate_development(data))
            edits += 1
    finally:
        await db.close()
    return {
        "subscriptions": subscriptions,
        "subscribe_seconds": round(subscribe_s, 2),
        "news_developments": per_week,
        "edited_developments": edits,
        "subscribed_at": subscribe_at.isoformat(),
        "due_at": due_at.isoformat(),
    }


async def build_all(path: Path | str, due_at: datetime) -> dict[str, Any]:
    """Every due subscription's digest of the period (compose + Discord parts), timed."""
    db = await Database.open(path)
    try:
        builder = DigestBuilder(db, Renderer("discord"))
        ids = await store.due_subscription_ids(db, due_at)
        subs = [s for s in [await store.get_subscription(db, i) for i in ids] if s is not None]
        plans = []
        for sub in subs:
            assert sub.next_run is not None
            plan = plan_due(
                sub.schedule, next_run=sub.next_run, covered_until=sub.covered_until, now=due_at
            )
            assert plan is not None
            plans.append((sub, plan))
        await builder(*plans[0])  # template compilation, outside the figure
        each = Timing()
        parts: Counter[int] = Counter()
        periods = {plan.period for _, plan in plans}
        started = time.perf_counter()
        for sub, plan in plans:
            t0 = time.perf_counter()
            built = await builder(sub, plan)
            each.add(time.perf_counter() - t0)
            parts[len(built)] += 1
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    return {
        "digests": len(plans),
        "periods": sorted(periods),
        "seconds": round(seconds, 3),
        "per_digest": each.summary(),
        "parts_histogram": {str(k): v for k, v in sorted(parts.items())},
        "messages": sum(k * v for k, v in parts.items()),
    }


async def deliver_all(path: Path | str, due_at: datetime, processes: int = 1) -> dict[str, Any]:
    """Start the fake Discord here and `processes` bot delivery processes on the one database
    (`python -m harness.worker --jobs`): each starts its `DigestScheduler` a moment before the
    period is due, so every subscription is fired by its own scheduler job, as in production."""
    from harness.fake_discord import FakeDiscord

    server = FakeDiscord(global_limit=DISCORD_LIMIT)
    api = await server.start()
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    }
    command = ["-m", "harness.worker", "--db", str(path), "--api", api]
    command += ["--jobs", "--due", due_at.isoformat(), "--lead", "2"]
    try:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(processes)
        ]
        results = await asyncio.gather(*(p.communicate() for p in procs))
        workers: list[dict[str, Any]] = []
        for proc, (out, err) in zip(procs, results, strict=True):
            if proc.returncode != 0:
                raise RuntimeError(f"delivery process failed: {err.decode()[-1500:]}")
            workers.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        await server.stop()
    posted = [m for msgs in server.messages.values() for m in msgs]
    nonces = Counter((m["channel_id"], m["nonce"]) for m in posted)
    # A duplicate: the same part (same nonce, or same content) twice in a channel.
    contents = Counter((m["channel_id"], m["content"]) for m in posted)
    duplicates = sum(c - 1 for c in nonces.values() if c > 1) + sum(
        c - 1 for c in contents.values() if c > 1
    )
    times = server.request_times
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    ledger = await _ledger_check(path, server.messages)
    edges = {
        "first_5s": sum(1 for t in times if t - times[0] < 5) if times else 0,
        "last_5s": sum(1 for t in times if times[-1] - t < 5) if times else 0,
    }
    return {
        "processes": processes,
        "requests_at_the_edges": edges,
        "requests": len(times),
        "messages_posted": len(posted),
        "seconds": round(span, 3),
        "requests_per_s": round(rate, 2),
        "fraction_of_limit": round(rate / DISCORD_LIMIT, 4),
        "max_in_any_second": server.max_per_second(),
        "http_429s": server.global_429s,
        "duplicates": duplicates,
        "ledger_mismatches": ledger,
        "loop_lag_p99_ms": max(w["loop_lag_p99_ms"] for w in workers),
        "workers": workers,
    }


async def _ledger_check(path: Path | str, messages: dict[int, list[dict[str, Any]]]) -> int:
    """Channels whose posted messages differ from the ledger's parts and message ids."""
    db = await Database.open(str(path))
    try:
        rows = [store.to_delivery(r) for r in await db.fetchall("SELECT * FROM digest_deliveries")]
    finally:
        await db.close()
    bad = 0
    for row in rows:
        posted = messages.get(row.channel_id, [])
        parts = list(row.parts) if row.state == "sent" else []
        ids = list(row.message_ids) if row.state == "sent" else []
        if [m["content"] for m in posted] != parts or [int(m["id"]) for m in posted] != ids:
            bad += 1
    bad += len(set(messages) - {row.channel_id for row in rows})
    return bad


def digest_figures(
    path: Path, guild_ids: list[int], developments: int, subscriptions: int, seed: int, anchor: date
) -> dict[str, Any]:
    """Set up, build, deliver (one bot process, then two on a copy of the same database);
    the `digest_*` figures."""
    info = asyncio.run(setup(path, guild_ids, developments, subscriptions, seed, anchor))
    due_at = datetime.fromisoformat(info["due_at"])
    build = asyncio.run(build_all(path, due_at))
    twin = path.with_name(path.stem + "-two-processes.sqlite3")
    _copy_database(path, twin)
    one = asyncio.run(deliver_all(path, due_at, processes=1))
    two = asyncio.run(deliver_all(twin, due_at, processes=2))
    twin.unlink()
    return {
        "digest_setup": info,
        "digest_build": build,
        "digest_delivery": one,
        "digest_delivery_two_processes": two,
    }


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API: a file copy would miss what is still
    in the WAL while another connection of this process keeps it open."""
    target.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def delivery_only(path: Path, due_at: datetime) -> dict[str, Any]:
    """Deliver an already set-up period again from a pristine copy (for repeated runs)."""
    out: dict[str, Any] = {}
    for processes in (1, 2):
        run = path.with_name(f"{path.stem}-run{processes}.sqlite3")
        _copy_database(path, run)
        try:
            out[f"processes_{processes}"] = asyncio.run(deliver_all(run, due_at, processes))
        finally:
            run.unlink()
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.digests DB DUE`: the delivery figures again on a set-up copy."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.digests")
    p.add_argument("db", type=Path, help="a database after `setup` (not yet delivered)")
    p.add_argument("due", type=datetime.fromisoformat)
    args = p.parse_args(argv)
    print(json.dumps(delivery_only(args.db, args.due), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
