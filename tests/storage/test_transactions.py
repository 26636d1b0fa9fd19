"""Transactions cannot strand the shared connection, deadlock, or hide their real error;
a busy or read-only database answers with a typed one-line error."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.sqlite.database import (
    Database,
    DatabaseBusy,
    DatabaseReadOnly,
    TransactionMisuse,
)
from tests.helpers import row_counts


@pytest.fixture
def other_writer(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would be) holding the write lock."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


async def test_cancelled_while_waiting_for_begin_leaves_no_open_transaction(
    db: Database, other_writer: sqlite3.Connection
) -> None:
    async def write() -> None:
        async with db.transaction() as w:
            await w.execute("DELETE FROM sources")

    task = asyncio.create_task(write())
    await asyncio.sleep(0.05)  # the BEGIN IMMEDIATE is now waiting for the other writer
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    other_writer.execute("ROLLBACK")  # the lock is free: the queued BEGIN now succeeds
    async with db.transaction() as w:  # …and must not still be open on the connection
        await w.execute("UPDATE developments SET importance = importance")
    assert await db.scalar("SELECT COUNT(*) FROM sources") > 0


async def test_reading_through_the_database_inside_its_transaction_is_refused(
    db: Database,
) -> None:
    async def misuse() -> None:
        async with db.transaction():
            await db.fetchall("SELECT id FROM developments")

    with pytest.raises(TransactionMisuse, match="writer"):
        await asyncio.wait_for(misuse(), timeout=2)
    # The lock was released: the database still works.
    assert await db.scalar("SELECT COUNT(*) FROM developments") > 0


async def test_a_nested_transaction_is_refused(db: Database) -> None:
    async def nested() -> None:
        async with db.transaction(), db.transaction():
            pass

    with pytest.raises(TransactionMisuse):
        await asyncio.wait_for(nested(), timeout=2)


async def test_a_failed_rollback_does_not_hide_the_real_error(db: Database) -> None:
    before = await row_counts(db)
    with pytest.raises(RuntimeError, match="the real cause"):
        async with db.transaction() as w:
            await w.execute("DELETE FROM sources")
            await w.execute("ROLLBACK")  # as SQLite does itself after a full disk
            raise RuntimeError("the real cause")
    assert await row_counts(db) == before


async def test_a_busy_database_gives_one_typed_line(
    db_path: Path, db: Database, other_writer: sqlite3.Connection
) -> None:
    quick = await Database.open(db_path, busy_timeout_ms=50)
    try:
        with pytest.raises(DatabaseBusy) as err:
            async with quick.transaction() as w:
                await w.execute("DELETE FROM sources")
        assert str(err.value) == "the database is busy (another briefbot is writing); try again"
        # Reads are not blocked by the other process's write.
        assert await quick.scalar("SELECT COUNT(*) FROM developments") > 0
    finally:
        await quick.close()


async def test_a_full_disk_names_the_cause_and_keeps_the_data(db: Database) -> None:
    before = await row_counts(db)
    pages = await db.scalar("PRAGMA page_count")
    await db.fetchall(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(Exception, match="full") as err:
        async with db.transaction() as w:
            for n in range(200):
                await w.execute(
                    "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?)",
                    (f"filler-{n}-" + "x" * 2000, "2023-01-01T00:00:00Z"),
                )
    assert "no transaction is active" not in str(err.value)
    assert await row_counts(db) == before


async def test_a_read_only_database_answers_reads_and_refuses_writes(
    db_path: Path, db: Database
) -> None:
    await db.close()
    before = db_path.read_bytes()
    ro = await Database.open(db_path, readonly=True)
    try:
        assert await ro.scalar("SELECT COUNT(*) FROM developments") > 0
        with pytest.raises(DatabaseReadOnly, match="read-only"):
            async with ro.transaction() as w:
                await w.execute("DELETE FROM sources")
    finally:
        await ro.close()
    assert db_path.read_bytes() == before
