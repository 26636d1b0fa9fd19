"""The digest window's fingerprint (the delivery engine's re-check and the digest builder's
cache key) changes with every way a row enters a window, staged imports included."""

from __future__ import annotations

from storage.catalogue import window_fingerprint
from storage.database import Database

START, END = "2023-05-01T09:00:00Z", "2023-05-08T09:00:00Z"


async def test_an_import_made_visible_in_the_window_changes_the_fingerprint(db: Database) -> None:
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
