"""The digest window's fingerprint (the delivery engine's re-check and the digest builder's
cache key) changes with every way a row enters a window, staged imports included."""

from __future__ import annotations

import pytest

from storage.catalogue import window_fingerprint
from storage.contract import Db

START, END = "2023-05-01T09:00:00Z", "2023-05-08T09:00:00Z"


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


async def test_an_import_made_visible_in_the_window_changes_the_fingerprint(db: Db) -> None:
    before = await window_fingerprint(db, START, END)
    async with db.transaction() as w:
        await w.execute(
            "INSERT INTO imports (pid, host, started_at, visible_at) VALUES (1, 'h', ?, NULL)",
            ("2023-05-02T00:00:00Z",),
        )
    assert await window_fingerprint(db, START, END) == before  # still hidden
    async with db.transaction() as w:
        await w.execute("UPDATE imports SET visible_at = ?", ("2023-05-07T10:00:00Z",))
    assert await window_fingerprint(db, START, END) != before
