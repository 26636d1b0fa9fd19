"""Read-only reader connections beside the writer: one slow read does not hold up the rest."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core import lookup
from bot.core.briefs import compose_brief
from bot.core.dataset import load_starter
from bot.domain.errors import QueryTooBroad
from bot.services import BOT_READERS
from storage.sqlite.database import Database, DatabaseReadOnly
from tests.helpers import FixedClock

# A read that keeps SQLite busy for seconds (a crafted search at 100,000 developments took
# 1–3 s), bounded so that it ends by itself on a database without readers.
SLOW_READ = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 30000000) "
    "SELECT count(*) FROM n"
)


async def _opened(tmp_path: Path, readers: int) -> Database:
    db = await Database.open(tmp_path / "db.sqlite3", readers=readers)
    await load_starter(db, FixedClock())
    return db


async def _started(db: Database) -> asyncio.Task[object]:
    loop = asyncio.get_running_loop()
    slow = asyncio.create_task(db.fetchone(SLOW_READ, deadline=loop.time() + 120))
    for _ in range(5):  # let it reach its connection's thread
        await asyncio.sleep(0)
    return slow


async def test_a_slow_read_does_not_hold_up_a_brief_or_a_search_issued_meanwhile(
    tmp_path: Path,
) -> None:
    db = await _opened(tmp_path, BOT_READERS)
    try:
        slow = await _started(db)
        brief = await compose_brief(db, "japan-korea", None, period="all", clock=FixedClock())
        found = await lookup.search(db, "summit", None)
        # Both answered while the slow read was still running (one connection: after it).
        assert not slow.done()
        assert brief.key and found.hits
    finally:
        await db.close()  # ends the slow read
    with pytest.raises(QueryTooBroad):
        await slow


async def test_a_read_past_its_deadline_is_stopped_and_answered_too_broad(tmp_path: Path) -> None:
    for readers in (0, BOT_READERS):
        db = await _opened(tmp_path, readers)
        try:
            loop = asyncio.get_running_loop()
            with pytest.raises(QueryTooBroad):
                await db.fetchone(SLOW_READ, deadline=loop.time() + 0.05)
            # The connection goes on serving reads.
            assert await db.scalar("SELECT count(*) FROM developments")
        finally:
            await db.close()


async def test_readers_never_write(tmp_path: Path) -> None:
    db = await _opened(tmp_path, BOT_READERS)
    try:
        before = await db.scalar("SELECT count(*) FROM developments")
        with pytest.raises(DatabaseReadOnly):
            await db.fetchall("DELETE FROM developments")
        assert await db.scalar("SELECT count(*) FROM developments") == before
        # Writes go through the writer's transactions as before.
        async with db.transaction() as w:
            await w.execute("UPDATE developments SET importance = importance")
    finally:
        await db.close()
