"""The real discord.py REST client against the fake Discord: 403 and 404 pause their
subscriptions, a 500 and a 429 are retried, and every other channel gets its digest once."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.core.subscriptions import SubscriptionService
from harness.fake_discord import FakeDiscord, Fault
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.harness.test_kill_restart import ROOT
from tests.helpers import MOD_A, SCOPE_A, FixedClock

FORBIDDEN, GONE, FLAKY, LIMITED, FINE = 7001, 7002, 7003, 7004, 7005


async def test_worker_maps_discord_errors_to_pauses_and_retries(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    subs = SubscriptionService(db, FixedClock(datetime.now(UTC) - timedelta(days=8)))
    for channel in (FORBIDDEN, GONE, FLAKY, LIMITED, FINE):
        await subs.subscribe(MOD_A, SCOPE_A, channel, post_empty=True)
    await db.close()

    server = FakeDiscord()
    api = await server.start()
    server.fail(FORBIDDEN, Fault(403, 50013, times=None))
    server.fail(GONE, Fault(404, 10003, times=None))
    server.fail(FLAKY, Fault(500))
    server.fail(LIMITED, Fault(429, retry_after=0.05))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "harness.worker",
            "--db",
            str(path),
            "--api",
            api,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()[-2000:]
        report = json.loads(out.decode().strip().splitlines()[-1])
        assert report["outcomes"] == {"paused": 2, "sent": 3}, report
        assert [server.count(c) for c in (FORBIDDEN, GONE, FLAKY, LIMITED, FINE)] == [0, 0, 1, 1, 1]
        # Each broken channel was tried once, not again and again.
        assert server.invalid_requests == 2  # the 403 and the 429
        db = await Database.open(path)
        try:
            for channel, words in ((FORBIDDEN, "may no longer post"), (GONE, "no longer exists")):
                sub = await store.subscription_for_channel(db, channel)
                assert sub is not None and sub.status == "paused"
                assert words in (sub.paused_reason or "")
        finally:
            await db.close()
    finally:
        await server.stop()
