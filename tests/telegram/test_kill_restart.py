"""A real worker process is SIGKILLed in the middle of a Telegram digest fan-out — exactly
between the fake Bot API storing a message and the process hearing about it — and started
again. Telegram has no nonce and bots cannot read history, so the one part in flight may
arrive twice; nothing else may, and no period may be lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.actors import Actor
from bot.core.catalogue import Catalogue
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from harness.fake_telegram import FakeTelegram, Sent
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft

ROOT = Path(__file__).resolve().parents[2]
BUSY = list(range(8000001, 8000007))  # private chats: digests of several parts
QUIET = list(range(-1009000012, -1009000000))  # channels: one short message each
KILL_AT = 7


async def seed(path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    db = await Database.open(path)
    try:
        at = f"{(now - timedelta(hours=1)):%H:%M}"
        subs = SubscriptionService(db, FixedClock(now - timedelta(days=3)))
        for chat, topic in [(c, "japan-korea") for c in BUSY] + [(c, "russia") for c in QUIET]:
            admin = Actor(
                user_id="tg:1", name="admin", scope=Scope.telegram(chat), is_moderator=True
            )
            await subs.subscribe(
                admin, admin.scope, chat, topics=topic, cadence="daily", at=at, post_empty=True
            )
        catalogue = Catalogue(db, FixedClock(now - timedelta(hours=36)))
        for i in range(60):
            title = f"Seoul and Tokyo agree on step {i:02d} " + "of a long process " * 5
            await catalogue.add(EDITOR, draft(title=title.strip()), scope="global")
    finally:
        await db.close()


async def worker(path: Path, api: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "harness.telegram_worker",
        "--db",
        str(path),
        "--api",
        api,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigkill_mid_fan_out_then_restart_loses_no_period_and_repeats_one_part_at_most(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    await seed(path)
    server = FakeTelegram()
    for chat in QUIET:
        server.add_chat(chat, "channel")
    api = await server.start()
    try:
        first = await worker(path, api)
        count = 0

        def kill_at(sent: Sent) -> None:
            nonlocal count
            count += 1
            if count == KILL_AT:
                os.kill(first.pid, signal.SIGKILL)  # before the Bot API's answer goes out

        server.after_send = kill_at
        _, err = await asyncio.wait_for(first.communicate(), 60)
        assert first.returncode == -signal.SIGKILL, err.decode()[-3000:]
        server.after_send = None

        second = await worker(path, api)
        out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, err.decode()[-2000:]
        report = json.loads(out.decode().strip().splitlines()[-1])
        assert set(report["outcomes"]) <= {"sent"}, report

        db = await Database.open(path)
        duplicates = 0
        try:
            for chat in BUSY + QUIET:
                sub = await store.subscription_for_channel(db, chat)
                assert sub is not None
                (row,) = await store.deliveries(db, sub.id)
                assert row.state == "sent", chat  # no period lost
                texts = [s.text for s in server.sent.get(chat, [])]
                seen = Counter(texts)
                assert set(seen) == set(row.parts), f"chat {chat}: a part is missing"
                duplicates += sum(n - 1 for n in seen.values())
                recorded = {s.message_id for s in server.sent[chat]}
                assert set(row.message_ids) <= recorded
            assert max(len(server.sent[c]) for c in BUSY) >= 2
        finally:
            await db.close()
        # The part in flight at the kill is sent again (Telegram cannot tell us it has it):
        # exactly that one, never more.
        assert duplicates == 1
        assert server.rate_limited == 0 and server.refusals == []
    finally:
        await server.stop()
