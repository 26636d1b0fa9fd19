"""Text order in the shared queries does not depend on the database's collation.

PostgreSQL compares and sorts TEXT by the collation the operator's database was created with
(`en_US.UTF-8` on many servers), SQLite by code point. The shared queries order text only
where its format fixes the order (ISO dates and instants) or in Python; an ICU `en` database
orders names differently from SQLite, and `briefbot export` must still be identical.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from bot.core import transfer
from harness.postgres import ThrowawayCluster
from storage.contract import Db
from storage.sqlite.database import Database

_names = itertools.count(1)
# Code point order; ICU's `en` puts them as a-z, ab, starter, Starter, starter_a, starter-b.
DATASETS = ["Starter", "a-z", "ab", "starter", "starter-b", "starter_a"]


@pytest.fixture(params=["sqlite", "postgresql-icu-en"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    """An empty database on SQLite, then on PostgreSQL created with ICU's English collation."""
    if request.param == "sqlite":
        opened: Db = await Database.open(tmp_path / "collation.sqlite3")
    else:
        cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
        name = f"icu_en_{next(_names)}"
        cluster.psql(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'"
        )
        opened = await Database.open(cluster.url(name))
        # The collation really orders otherwise: without that, this test could not fail.
        assert await opened.scalar("SELECT 'starter_a' < 'starter-b'") is True
    yield opened
    await opened.close()


async def test_export_lists_loaded_datasets_in_code_point_order_on_both_backends(
    db: Db,
) -> None:
    async with db.transaction() as w:
        for n, name in enumerate(reversed(DATASETS)):
            await w.execute(
                "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?)",
                (name, f"2026-01-0{n + 1}T00:00:00Z"),
            )
    doc = await transfer.export_data(cast(Database, db))
    assert [d["dataset"] for d in doc["datasets"]] == DATASETS == sorted(DATASETS)
