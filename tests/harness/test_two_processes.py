"""Two real `briefbot` delivery processes on one database (an overlapping deploy) against the
loopback fake Discord: every channel gets each part of its digest exactly once, and the
ledger agrees with what Discord holds."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from harness.fake_discord import FakeDiscord
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.harness.test_kill_restart import BUSY, QUIET, seed, sub_of, worker


async def test_two_processes_on_one_database_post_each_part_once(shared_db: str) -> None:
    path = shared_db
    await seed(path)
    server = FakeDiscord(global_limit=50)
    api = await server.start()
    try:
        procs = [await worker(path, api) for _ in range(2)]
        results = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 90)
        outcomes: Counter[str] = Counter()
        for proc, (out, err) in zip(procs, results, strict=True):
            assert proc.returncode == 0, err.decode()[-2000:]
            outcomes.update(json.loads(out.decode().strip().splitlines()[-1])["outcomes"])
        channels = BUSY + QUIET
        assert outcomes["sent"] == len(channels), outcomes
        # One process leads delivery (Discord's limits are per bot); the other stands by.
        assert set(outcomes) <= {"sent", "busy", "already", "standby"}, outcomes
        db = await Database.open(path)
        try:
            for channel in channels:
                (row,) = await store.deliveries(db, (await sub_of(db, channel)).id)
                assert row.state == "sent"
                posted = server.messages.get(channel, [])
                assert [m["content"] for m in posted] == list(row.parts), f"channel {channel}"
                assert [int(m["id"]) for m in posted] == list(row.message_ids)
        finally:
            await db.close()
        assert server.global_429s == 0
    finally:
        await server.stop()
