"""Bulk import is SQLite's for now: on PostgreSQL it refuses before writing anything."""

from __future__ import annotations

from typing import Any, cast

import pytest

from storage.bulk import BulkNeedsSQLite, StagedImport
from storage.sqlite.database import Database


async def test_an_import_into_postgresql_is_refused_and_writes_nothing(pg_url: str) -> None:
    db = await Database.open(pg_url)
    try:
        with pytest.raises(BulkNeedsSQLite, match="nothing was imported"):
            await StagedImport.begin(
                cast(Any, db), started_at="2023-05-01T09:30:00Z", new_records=1, highest_given_id=0
            )
        assert await db.scalar("SELECT count(*) FROM imports") == 0
        assert await db.scalar("SELECT count(*) FROM developments") == 0
    finally:
        await db.close()
