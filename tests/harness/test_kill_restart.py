"""A real process is SIGKILLed in the middle of a digest fan-out — exactly between Discord
storing a message and the process hearing about it — and started again. Every channel must
end with exactly one digest: each part once, none missing, the ledger all `sent`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.catalogue import Catalogue
from bot.core.subscriptions import SubscriptionService
from bot.domain.subscriptions import Subscription
from harness.fake_discord import FakeDiscord
from storage import subscriptions as store
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import EDITOR, MOD_A, SCOPE_A, FixedClock, draft

ROOT = Path(__file__).resolve().parents[2]
BUSY = list(range(5000, 5008))  # several developments: digests of 2–3 messages
QUIET = list(range(6000, 6012))  # nothing new, post_empty: one short message
KILL_AT = 7


async def seed(where: str) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    db = await Database.open(where)
    try:
        at = f"{(now - timedelta(hours=1)):%H:%M}"
        subs = SubscriptionService(db, FixedClock(now - timedelta(days=3)))
        for channel in BUSY:
            await subs.subscribe(
                MOD_A,
                SCOPE_A,
                channel,
                topics="japan-korea",
                cadence="daily",
                at=at,
                post_empty=True,
            )
        for channel in QUIET:
            await subs.subscribe(
                MOD_A, SCOPE_A, channel, topics="russia", cadence="daily", at=at, post_empty=True
            )
        catalogue = Catalogue(db, FixedClock(now - timedelta(hours=36)))
        for i in range(30):
            title = f"Seoul and Tokyo agree on step {i:02d} " + "of a long process " * 5
            await catalogue.add(EDITOR, draft(title=title.strip()), scope="global")
    finally:
        await db.close()


async def worker(where: str, api: str, *extra: str, rate: float = 25) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "harness.worker",
        "--db",
        where,
        "--api",
        api,
        "--rate",
        str(rate),
        "--burst",
        "3",
        *extra,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigkill_mid_fan_out_then_restart_posts_exactly_one_digest_per_channel(
    shared_db: str,
) -> None:
    path = shared_db
    await seed(path)
    server = FakeDiscord(global_limit=50)
    api = await server.start()
    try:
        first = await worker(path, api)

        def kill_at(channel: int, total: int) -> None:
            if total == KILL_AT:
                os.kill(first.pid, signal.SIGKILL)  # before Discord's answer goes out

        server.on_post = kill_at
        _, err = await asyncio.wait_for(first.communicate(), 60)
        assert first.returncode == -signal.SIGKILL, err.decode()[-3000:]
        posted_before_restart = server.total
        assert KILL_AT <= posted_before_restart < 40

        db = await Database.open(path)
        try:
            states = [
                r.state
                for c in BUSY + QUIET
                for r in await store.deliveries(db, (await sub_of(db, c)).id)
            ]
        finally:
            await db.close()
        assert "sending" in states  # interrupted deliveries were left in the ledger

        server.on_post = None
        second = await worker(path, api)
        out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()[-2000:]
        report = json.loads(out.decode().strip().splitlines()[-1])
        # Channels finished before the kill have nothing left to do; all others are sent.
        assert set(report["outcomes"]) == {"sent"}, report
        unclaimed = len(BUSY + QUIET) - len(states)
        assert report["outcomes"]["sent"] == states.count("sending") + unclaimed, report

        db = await Database.open(path)
        try:
            for channel in BUSY + QUIET:
                sub = await sub_of(db, channel)
                (row,) = await store.deliveries(db, sub.id)
                assert row.state == "sent"
                posted = [m["content"] for m in server.messages.get(channel, [])]
                assert posted == list(row.parts), f"channel {channel}"
                assert [int(m["id"]) for m in server.messages[channel]] == list(row.message_ids)
                assert sum("part 1/" in p for p in posted) == 1
            assert max(len(r) for r in [server.messages[c] for c in BUSY]) >= 2
        finally:
            await db.close()
        assert server.max_per_second() <= 50 and server.global_429s == 0
    finally:
        await server.stop()


async def sub_of(db: Db, channel: int) -> Subscription:
    sub = await store.subscription_for_channel(db, channel)
    assert sub is not None
    return sub


async def check_exactly_once(where: str, server: FakeDiscord) -> None:
    """Every channel holds its digest once, each part once, and the ledger agrees."""
    db = await Database.open(where)
    try:
        for channel in BUSY + QUIET:
            (row,) = await store.deliveries(db, (await sub_of(db, channel)).id)
            assert row.state == "sent", f"channel {channel}"
            posted = server.messages.get(channel, [])
            assert [m["content"] for m in posted] == list(row.parts), f"channel {channel}"
            assert [int(m["id"]) for m in posted] == list(row.message_ids)
    finally:
        await db.close()


async def test_sigkill_of_the_sender_hands_over_to_the_standby_within_ten_seconds(
    shared_db: str,
) -> None:
    """Two running processes: the sender is killed mid fan-out; the standby takes over its
    lead and its interrupted deliveries, nothing posted twice."""
    await seed(shared_db)
    server = FakeDiscord(global_limit=50)
    api = await server.start()
    killed_at: list[float] = []
    posts_at: list[float] = []
    standby_ready = asyncio.Event()
    try:
        sender = await worker(shared_db, api, "--until-done", "60", rate=5)
        first_post = asyncio.Event()

        def on_post(channel: int, total: int) -> None:
            posts_at.append(time.monotonic())
            first_post.set()
            if standby_ready.is_set() and not killed_at and total >= KILL_AT:
                os.kill(sender.pid, signal.SIGKILL)  # before Discord's answer goes out
                killed_at.append(time.monotonic())

        server.on_post = on_post
        await asyncio.wait_for(first_post.wait(), 30)  # the sender leads
        standby = await worker(shared_db, api, "--until-done", "60")
        assert standby.stdout is not None
        ready = json.loads(await asyncio.wait_for(standby.stdout.readline(), 30))
        assert ready == {"ready": False}  # it stands by: the sender is alive
        standby_ready.set()
        _, err = await asyncio.wait_for(sender.communicate(), 60)
        assert sender.returncode == -signal.SIGKILL, err.decode()[-3000:]
        out, err = await asyncio.wait_for(standby.communicate(), 90)
        assert standby.returncode == 0, err.decode()[-3000:]
        report = json.loads(out.decode().strip().splitlines()[-1])
        assert report["leads_taken"] == 1 and report["outcomes"]["sent"] > 0, report
        after_kill = [t for t in posts_at if t > killed_at[0]]
        assert after_kill and after_kill[0] - killed_at[0] <= 10.0
        await check_exactly_once(shared_db, server)
        assert server.global_429s == 0
    finally:
        await server.stop()
