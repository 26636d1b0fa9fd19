"""A large import is written in short batches that other writers can interleave with, stays
invisible until one final transaction shows all of it, and leaves nothing behind when it
fails or its process dies: on SQLite and on PostgreSQL (`any_empty_db`)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.core import transfer
from bot.core.catalogue import Catalogue
from bot.core.validation import validate_development
from bot.domain.clock import iso_utc
from bot.domain.errors import InvalidInput
from storage import bulk
from storage import catalogue as queries
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import EDITOR, GUILD_A, FixedClock, draft, raw_development

ROOT = Path(__file__).resolve().parents[2]


def _document(n: int) -> dict[str, Any]:
    return {
        "developments": [
            raw_development(title=f"Imported development number {i}") for i in range(n)
        ]
    }


def _sqlite(db: Db) -> Database:
    # transfer and bulk are typed for SQLite; on PostgreSQL they dispatch to its own path.
    return cast(Database, db)


def _location(db: Db, db_path: Path) -> str:
    """Where another process (or connection) opens the same database."""
    return str(getattr(db, "url", None) or db_path)


async def _indexed(db: Db) -> int:
    """Rows of the search index (SQLite's word index, PostgreSQL's search table)."""
    table = "development_search" if db.dialect == "postgresql" else "developments_fts"
    return int(await db.scalar(f"SELECT COUNT(*) FROM {table}"))


async def _cjk_indexed(db: Db) -> int:
    """Rows of the CJK substring index."""
    if db.dialect == "postgresql":
        sql = "SELECT COUNT(*) FROM development_search WHERE cardinality(bigrams) > 0"
    else:
        sql = "SELECT COUNT(*) FROM developments_cjk"
    return int(await db.scalar(sql))


async def _visible(db: Db) -> int:
    """Developments a server's reader can find (the topic all test records belong to)."""
    return len(
        await queries.select_topic(db, "japan-korea", None, limit=10_000, with_sources=False)
    )


async def _staged(db: Db) -> int:
    """Developments written by an import not yet made visible."""
    return int(
        await db.scalar(
            "SELECT COUNT(*) FROM developments WHERE import_id IN "
            "(SELECT id FROM imports WHERE visible_at IS NULL)"
        )
    )


async def test_other_writes_go_between_batches_and_reads_see_all_or_nothing(
    any_empty_db: Db, db_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "IMPORT_BATCH", 5)
    empty_db = _sqlite(any_empty_db)
    other = await Database.open(_location(empty_db, db_path))  # the running bot's own
    try:
        catalogue = Catalogue(other, clock)
        task = asyncio.create_task(transfer.import_data(empty_db, _document(60), clock))
        seen: set[int] = set()
        added = 0
        staged_seen = 0
        while not task.done():
            staged = await _staged(other)
            staged_seen = max(staged_seen, staged)
            seen.add(await _visible(other) - added)
            if staged:
                # Bot writes in the middle of the import: they do not wait for it, and take
                # ids above all of the import's.
                await catalogue.add(EDITOR, draft(title="Added by the bot meanwhile"))
                added += 1
            await asyncio.sleep(0)
        assert await task == {"developments": 60, "assessments": 0}
        assert staged_seen > 0 and added > 0  # the middle of the import was observed
        assert seen <= {0, 60}  # never a part of the import
        assert await _visible(other) == 60 + added
        assert await _staged(other) == 0
        ids = [r[0] for r in await other.fetchall("SELECT id FROM developments ORDER BY id")]
        assert ids == list(range(1, 61 + added))
        assert await other.scalar("SELECT COUNT(*) FROM imports WHERE visible_at IS NULL") == 0
    finally:
        await other.close()


async def test_a_failure_in_a_late_batch_removes_the_earlier_batches(
    any_empty_db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_db = _sqlite(any_empty_db)
    monkeypatch.setattr(bulk, "IMPORT_BATCH", 3)
    rev = {
        "number": 1,
        "action": "create",
        "actor": "a",
        "at": "2023-01-01T00:00:00Z",
        "changes": {},
        "snapshot": {},
    }
    doc = _document(10)
    # The highest id is written first, then the rest in order: this one (the second
    # highest) goes in the last batch, and its revisions clash on insert.
    doc["developments"][-2] |= {"revisions": [rev, rev]}
    with pytest.raises(InvalidInput, match="nothing was imported"):
        await transfer.import_data(empty_db, doc)
    for table in ("developments", "sources", "revisions", "development_topics", "imports"):
        assert await empty_db.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
    assert await _indexed(empty_db) == 0
    assert await _cjk_indexed(empty_db) == 0


async def test_staged_cjk_rows_are_indexed_but_found_only_once_visible(
    any_empty_db: Db,
) -> None:
    empty_db = _sqlite(any_empty_db)
    items = [raw_development(title=f"日韓首脳会談が東京で開かれた {i}") for i in range(3)]
    at = "2026-11-28T09:00:00Z"
    staged = await bulk.StagedImport.begin(
        empty_db, started_at=at, new_records=3, highest_given_id=0
    )
    result = transfer.prepare_rows(
        items,
        0,
        3,
        at=at,
        import_id=staged.import_id,
        first_new_id=staged.next_free,
        new_before=[0, 1, 2, 3],
    )
    await staged.write_rows(result[1])
    assert await _cjk_indexed(empty_db) == 3
    assert await queries.search(empty_db, "東京", None) == []  # written, not yet visible
    await staged.finish([], [], lambda: at)
    found = await queries.search(empty_db, "東京", None)
    assert sorted(d.title for d, _ in found) == sorted(i["title"] for i in items)


async def test_the_digest_window_of_the_moment_rows_became_visible_holds_them(
    any_empty_db: Db,
) -> None:
    empty_db = _sqlite(any_empty_db)
    start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    calls: list[datetime] = []

    def clock() -> datetime:
        calls.append(start + timedelta(minutes=len(calls)))
        return calls[-1]

    stamped = raw_development(title="Has its own stamps") | {
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-02T00:00:00Z",
    }
    doc = {"developments": [raw_development(), stamped]}
    await transfer.import_data(empty_db, doc, clock)
    shown_at = calls[-1]
    assert len(calls) >= 2 and shown_at > calls[0]
    assert await empty_db.scalar("SELECT visible_at FROM imports") == iso_utc(shown_at)
    # A window that starts after the import began still holds both of its developments,
    # whatever their own stamps say; the window before it, none.
    after = await queries.changed_in_period(
        empty_db, iso_utc(shown_at), iso_utc(shown_at + timedelta(days=7))
    )
    assert sorted(d.title for d in after) == sorted(d["title"] for d in doc["developments"])
    before = await queries.changed_in_period(
        empty_db, iso_utc(start - timedelta(days=7)), iso_utc(start)
    )
    assert before == []


_KILLED_IMPORT = """
import asyncio, sys
from pathlib import Path
from bot.core import transfer
from storage import bulk
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import raw_development

bulk.IMPORT_BATCH = 20

async def main() -> None:
    db = await Database.open(sys.argv[1])
    doc = {"developments": [raw_development(title=f"Doomed {i}") for i in range(20_000)]}
    await transfer.import_data(db, doc)

asyncio.run(main())
"""


def _children(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Whether `pid` is a process that has not exited (a zombie has)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
async def test_an_import_whose_process_died_is_discarded_by_the_next(
    any_empty_db: Db, db_path: Path, clock: FixedClock
) -> None:
    empty_db = _sqlite(any_empty_db)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    where = _location(empty_db, db_path)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_IMPORT, where], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while await _staged(empty_db) < 100:
            assert proc.poll() is None and time.monotonic() < deadline, "import never started"
            await asyncio.sleep(0.05)
        helpers = _children(proc.pid)
        assert helpers, "the import forked no validator"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Its forked validator must not outlive it (an operator's `kill -9` of an import).
    deadline = time.monotonic() + 10
    while (left := [pid for pid in helpers if _running(pid)]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert left == []
    assert await _staged(empty_db) >= 100
    assert await _visible(empty_db) == 0  # nothing of the dead import shows
    await transfer.import_data(empty_db, _document(3), clock)
    assert await _staged(empty_db) == 0
    assert await empty_db.scalar("SELECT COUNT(*) FROM imports WHERE visible_at IS NULL") == 0
    assert await empty_db.scalar("SELECT COUNT(*) FROM developments") == 3
    assert await _indexed(empty_db) == 3


async def test_import_revision_snapshots_equal_the_drafts_own(any_empty_db: Db) -> None:
    empty_db = _sqlite(any_empty_db)
    records = [
        raw_development(title="Day, tags, two sources"),
        raw_development(title="Month, no tags", date="2023-04", tags="", why_it_matters=""),
        raw_development(title="A year, one country", date="2021", countries="KR")
        | {"status": "retracted", "retraction_reason": "wrong year", "scope": str(GUILD_A)},
        raw_development(
            title="Sparse source",
            sources=[{"title": "Only a citation"}, {"url": "https://example.org/x"}],
        ),
        raw_development(title="A Telegram chat's own") | {"scope": "telegram:-1001234567"},
    ]
    await transfer.import_data(empty_db, {"developments": records})
    rows = await empty_db.fetchall(
        "SELECT r.action, r.changes, r.snapshot, r.actor, d.created_by FROM revisions r "
        "JOIN developments d ON d.id = r.development_id ORDER BY d.id"
    )
    assert len(rows) == len(records)
    for raw, row in zip(records, rows, strict=True):
        expected = validate_development(raw).to_dict() | {
            "status": raw.get("status", "published"),
            "retraction_reason": raw.get("retraction_reason"),
            "scope": raw.get("scope", "global"),
        }
        snapshot = json.loads(row["snapshot"])
        assert snapshot == expected
        assert list(snapshot) == list(expected)  # the same key order
        assert (row["action"], json.loads(row["changes"]), row["actor"]) == (
            "import",
            {},
            row["created_by"],
        )


async def test_a_large_file_is_prepared_in_a_helper_process_all_or_nothing(
    any_empty_db: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_db = _sqlite(any_empty_db)
    monkeypatch.setattr(transfer, "OFFLOAD_MIN", 10)
    monkeypatch.setattr(bulk, "IMPORT_BATCH", 7)
    doc = _document(40)
    doc["developments"][29]["importance"] = 9
    with pytest.raises(InvalidInput, match="development 30 importance"):
        await transfer.import_data(empty_db, doc, clock)
    assert await empty_db.scalar("SELECT COUNT(*) FROM developments") == 0
    assert await _indexed(empty_db) == 0
    doc["developments"][29]["importance"] = 2
    doc["developments"][5]["id"] = 100  # ids given and not given, mixed
    assert await transfer.import_data(empty_db, doc, clock) == {
        "developments": 40,
        "assessments": 0,
    }
    rows = await empty_db.fetchall("SELECT id, title FROM developments ORDER BY id")
    titles = {r["id"]: r["title"] for r in rows}
    assert titles[100] == "Imported development number 5"
    # The others numbered in file order after the highest given id.
    assert [titles[101 + i] for i in range(39)] == [
        f"Imported development number {i}" for i in range(40) if i != 5
    ]
    assert await empty_db.scalar("SELECT COUNT(*) FROM revisions") == 40
    # Every batch's search rows, the last one's too (on PostgreSQL they are written beside
    # the next batch, by a transaction of their own).
    assert await _indexed(empty_db) == 40
