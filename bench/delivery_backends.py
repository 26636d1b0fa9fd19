"""Digest delivery on each backend, side by side (issue 22 item 8): two bot processes on one
database deliver a period (rate ÷ Discord's 50 req/s, 429s, duplicates), and the sender is
killed (SIGKILL) mid fan-out while a second process stands by (how long until the standby
leads, and until its first post; duplicates).

Each backend gets the same set-up (`bench.digests.setup`: weekly subscriptions due at one
Monday 09:00 and a week of news) in a fresh SQLite file and a fresh database of a throwaway
PostgreSQL cluster (`harness.postgres`). Run with
`python -m bench.delivery_backends [--subscriptions N] [--runs 3]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.digests import DISCORD_LIMIT, ROOT, _ledger_check, deliver_all, setup
from harness.postgres import PostgresUnavailable, ThrowawayCluster

#: the takeover run's pace (requests/s): slow enough that the sender is still sending when
#: the standby is up, whatever the size; the takeover time does not depend on it
TAKEOVER_RATE = 10.0
#: subscriptions of the takeover run (its figure does not grow with them)
TAKEOVER_SUBSCRIPTIONS = 100
#: subscriptions per backend inside the full bench (one run each; a fifth of the bench's)
FULL_BENCH_SUBSCRIPTIONS = 400
ANCHOR = date(2026, 11, 2)
#: a catalogue of this size has a week of news of about 27 developments (set-up time, not
#: delivery time, grows with it)
NEWS_SCALE = 20_000


def _env() -> dict[str, str]:
    return os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    }


async def _worker(where: str, api: str, due_at: datetime) -> asyncio.subprocess.Process:
    """A running bot process (`--until-done`) on the takeover run's pace."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "harness.worker",
        "--db",
        where,
        "--api",
        api,
        "--now",
        due_at.isoformat(),
        "--until-done",
        "300",
        "--rate",
        str(TAKEOVER_RATE),
        cwd=ROOT,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def takeover(where: str, due_at: datetime, kill_after: int) -> dict[str, Any]:
    """SIGKILL the sending process mid fan-out with a standby running: seconds from the kill
    until the standby holds the lead and until its first post; duplicates; ledger check."""
    from harness.fake_discord import FakeDiscord

    server = FakeDiscord(global_limit=DISCORD_LIMIT)
    api = await server.start()
    posts: list[float] = []
    killed: list[tuple[float, float]] = []  # (monotonic, unix)
    ready = asyncio.Event()
    try:
        sender = await _worker(where, api, due_at)
        first = asyncio.Event()

        def on_post(channel: int, total: int) -> None:
            posts.append(time.monotonic())
            first.set()
            if ready.is_set() and not killed and total >= kill_after:
                os.kill(sender.pid, signal.SIGKILL)
                killed.append((time.monotonic(), time.time()))

        server.on_post = on_post
        await asyncio.wait_for(first.wait(), 60)
        standby = await _worker(where, api, due_at)
        assert standby.stdout is not None
        await asyncio.wait_for(standby.stdout.readline(), 60)  # its first sweep: standing by
        ready.set()
        await asyncio.wait_for(sender.communicate(), 300)
        out, err = await asyncio.wait_for(standby.communicate(), 300)
        if standby.returncode != 0 or not killed:
            raise RuntimeError(f"takeover run failed: {err.decode()[-1500:]}")
        report = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        await server.stop()
    kill_mono, kill_unix = killed[0]
    after = [t for t in posts if t > kill_mono]
    leads = [t for t in report["lead_taken_at"] if t > kill_unix]
    posted = [m for msgs in server.messages.values() for m in msgs]
    contents = Counter((m["channel_id"], m["content"]) for m in posted)
    return {
        "killed_after_messages": kill_after,
        "lead_s": round(leads[0] - kill_unix, 3) if leads else None,
        "first_post_s": round(after[0] - kill_mono, 3) if after else None,
        "messages_posted": len(posted),
        "duplicates": sum(c - 1 for c in contents.values() if c > 1),
        "ledger_mismatches": await _ledger_check(where, server.messages),
        "http_429s": server.global_429s,
    }


async def _prepared(make: Callable[[str], str], subscriptions: int) -> tuple[str, datetime]:
    where = make("setup")
    info = await setup(where, [], NEWS_SCALE, subscriptions, 7, ANCHOR)
    return where, datetime.fromisoformat(info["due_at"])


def measure(subscriptions: int = 300, runs: int = 3) -> dict[str, Any]:
    """Both figures on both backends, `runs` times each; medians and every run."""
    out: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="briefbot-delivery-"))
    names = iter(range(1, 10_000))
    makers: dict[str, Callable[[str], str]] = {
        "sqlite": lambda tag: str(folder / f"{tag}-{next(names)}.sqlite3"),
    }
    cluster: ThrowawayCluster | None = None
    try:
        cluster = ThrowawayCluster().start()
    except PostgresUnavailable as exc:
        out["postgresql"] = {"status": "not measured", "why": str(exc)}
    else:
        pg = cluster
        makers["postgresql"] = lambda tag: pg.create_database(f"{tag}_{next(names)}")
    try:
        for backend, make in makers.items():
            deliveries, takeovers = [], []
            for _ in range(runs):
                where, due_at = asyncio.run(_prepared(make, subscriptions))
                deliveries.append(asyncio.run(deliver_all(where, due_at, processes=2)))
                small = min(subscriptions, TAKEOVER_SUBSCRIPTIONS)
                where, due_at = asyncio.run(_prepared(make, small))
                kill_after = max(3, small // 10)
                takeovers.append(asyncio.run(takeover(where, due_at, kill_after)))
            out[backend] = {
                "subscriptions": subscriptions,
                "fraction_of_limit": statistics.median(d["fraction_of_limit"] for d in deliveries),
                "duplicates": max(d["duplicates"] for d in deliveries),
                "http_429s": max(d["http_429s"] for d in deliveries),
                "takeover_lead_s": statistics.median(t["lead_s"] or 1e9 for t in takeovers),
                "takeover_first_post_s": statistics.median(
                    t["first_post_s"] or 1e9 for t in takeovers
                ),
                "takeover_duplicates": max(t["duplicates"] for t in takeovers),
                "takeover_ledger_mismatches": max(t["ledger_mismatches"] for t in takeovers),
                "runs": {
                    "delivery": [
                        {k: v for k, v in d.items() if k != "workers"} for d in deliveries
                    ],
                    "takeover": takeovers,
                },
            }
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    measured = [f for f in out.values() if "takeover_duplicates" in f]
    out["takeover_duplicates"] = max((f["takeover_duplicates"] for f in measured), default=0)
    return out


def report(figures: dict[str, Any]) -> str:
    """The two backends side by side."""
    rows = [
        ("two processes: rate ÷ 50 req/s", "fraction_of_limit", "≥ 0.9"),
        ("two processes: duplicates", "duplicates", "0"),
        ("two processes: 429s", "http_429s", "0"),
        ("kill -9 → standby leads (s)", "takeover_lead_s", "≤ 10"),
        ("kill -9 → standby's first post (s)", "takeover_first_post_s", "≤ 10"),
        ("after kill -9: duplicates", "takeover_duplicates", "0"),
        ("after kill -9: ledger mismatches", "takeover_ledger_mismatches", "0"),
    ]
    lines = [f"{'digest delivery':<38}{'SQLite':>10}{'PostgreSQL':>12}   target"]
    for label, key, target in rows:
        values = [figures.get(b, {}).get(key) for b in ("sqlite", "postgresql")]
        values = [None if isinstance(v, dict) else v for v in values]
        cells = "".join(
            f"{'—' if v is None else v:>{w}}" for v, w in zip(values, (10, 12), strict=True)
        )
        lines.append(f"{label:<38}{cells}   {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.delivery_backends`: print the table, then the figures as JSON."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.delivery_backends")
    p.add_argument("--subscriptions", type=int, default=300)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    figures = measure(args.subscriptions, args.runs)
    print(report(figures))
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
