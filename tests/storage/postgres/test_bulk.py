"""Bulk import on PostgreSQL: rows written with COPY under the import's id, search columns
filled in bulk, ids reserved through the identity, conflicts refused with nothing left.
(The staged semantics themselves run on both backends in tests/core/test_staged_import.py.)"""

from __future__ import annotations

from typing import cast

import pytest

from bot.core import transfer
from bot.core.catalogue import Catalogue
from bot.domain.errors import InvalidInput
from storage import bulk
from storage import catalogue as queries
from storage.postgres import bulk as pg_bulk
from storage.postgres.bulk import PostgresStagedImport, copy_search_data, search_copy_data
from storage.postgres.database import PostgresDatabase
from storage.postgres.search import bigrams, document
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft, raw_development


async def test_an_import_is_searchable_once_visible_and_the_next_id_follows_it(
    pg_url: str, clock: FixedClock
) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        doc = {
            "developments": [
                raw_development(title=f"Semiconductor export controls, round {i}") for i in range(5)
            ]
            + [raw_development(title="日韓首脳会談が東京で開かれた") | {"id": 40}]
        }
        assert await transfer.import_data(cast(Database, db), doc, clock) == {
            "developments": 6,
            "assessments": 0,
        }
        assert await db.scalar("SELECT COUNT(*) FROM development_search") == 6
        found = await queries.search(db, "semiconductor", None)
        assert len(found) == 5
        assert [d.title for d, _ in await queries.search(db, "東京", None)] == [
            "日韓首脳会談が東京で開かれた"
        ]
        # The records without an id were numbered after the highest given one, and a
        # development added afterwards takes the next id (the identity was moved past).
        ids = [r[0] for r in await db.fetchall("SELECT id FROM developments ORDER BY id")]
        assert ids == [40, 41, 42, 43, 44, 45]
        added = await Catalogue(cast(Database, db), clock).add(EDITOR, draft(title="After"))
        assert added.id == 46
    finally:
        await db.close()


async def test_an_import_leaves_the_planner_statistics_of_what_it_wrote(
    pg_url: str, clock: FixedClock
) -> None:
    # Plans made from an empty table's statistics made every answer seconds long until
    # autovacuum analysed the imported tables, a minute or more later.
    db = await PostgresDatabase.open(pg_url)
    try:
        doc = {"developments": [raw_development(title=f"Chips, round {i}") for i in range(3)]}
        await transfer.import_data(cast(Database, db), doc, clock)
        analysed = await db.fetchall(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        )
        assert {"developments", "sources", "development_topics", "development_search"} <= {
            r[0] for r in analysed
        }
        assert await db.scalar("SELECT reltuples FROM pg_class WHERE relname = 'developments'") == 3
    finally:
        await db.close()


async def test_conflicting_records_in_one_file_are_refused_and_nothing_stays(
    pg_url: str, clock: FixedClock
) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        twice = [raw_development(title=f"Twin {i}") | {"seed_key": "same-key"} for i in (1, 2)]
        with pytest.raises(InvalidInput, match=r"conflicting records.*nothing was imported"):
            await transfer.import_data(cast(Database, db), {"developments": twice}, clock)
        for table in ("developments", "development_search", "revisions", "imports"):
            assert await db.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
    finally:
        await db.close()


async def test_an_import_that_adds_no_development_leaves_the_identity_as_it_was(
    pg_url: str, clock: FixedClock
) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        staged = await PostgresStagedImport.begin_on(
            db, started_at="2026-11-28T09:00:00Z", new_records=0, highest_given_id=0
        )
        await staged.finish([], [("starter", "2026-11-28T09:00:00Z")], lambda: "x")
        added = await Catalogue(cast(Database, db), clock).add(EDITOR, draft(title="First"))
        assert added.id == 1
    finally:
        await db.close()


async def test_the_bulk_search_rows_equal_those_written_one_by_one(pg_url: str) -> None:
    texts = [
        (1, "Plain title", "a summary", "tag-one tag2", "Yonhap https://example.org/a"),
        (2, "It's a \\ back\tslash", 'quote " {brace}, comma', "", "line\nbreak\rreturn"),
        (3, "日韓首脳会談", '한국어 요약 "인용" {x}', "東京 서울", "出典\\「x」"),
    ]
    db = await PostgresDatabase.open(pg_url)
    try:
        async with db.transaction() as w:
            for dev_id, *_ in texts:
                await w.execute(
                    "INSERT INTO developments (id, kind, title, summary, occurred_on, "
                    "date_precision, countries, domain, importance, created_by, created_at, "
                    "updated_by, updated_at) VALUES (?, 'event', 't', 's', '2023', 'year', 'JP', "
                    "'security', 1, 'a', 'b', 'c', 'd')",
                    (dev_id,),
                )
            await copy_search_data(w, search_copy_data(texts))
        bulk_rows = await db.fetchall(
            "SELECT development_id, document::text, bigrams FROM development_search ORDER BY 1"
        )
        async with db.transaction() as w:
            await w.execute("DELETE FROM development_search")
            for dev_id, *columns in texts:
                await w.execute(
                    "INSERT INTO development_search VALUES (?, CAST(? AS tsvector), ?)",
                    (dev_id, document(columns), bigrams(columns)),
                )
        one_by_one = await db.fetchall(
            "SELECT development_id, document::text, bigrams FROM development_search ORDER BY 1"
        )
        assert [tuple(r) for r in bulk_rows] == [tuple(r) for r in one_by_one]
        assert "한국어" in one_by_one[2][1] and '"' in "".join(one_by_one[2][2])
    finally:
        await db.close()


@pytest.mark.parametrize("trusted", [True, False], ids=["batch-checked", "row-checked"])
async def test_an_import_in_batches_is_whole_whether_or_not_the_rolemay_skip_row_checks(
    pg_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, trusted: bool
) -> None:
    # A role that may not set session_replication_role (an ordinary owner) imports with
    # PostgreSQL's own per-row foreign-key checks; the result is the same.
    async def may_skip(db: PostgresDatabase) -> bool:
        return trusted

    monkeypatch.setattr(pg_bulk, "may_skip_row_checks", may_skip)
    monkeypatch.setattr(bulk, "IMPORT_BATCH", 4)
    db = await PostgresDatabase.open(pg_url)
    try:
        doc = {"developments": [raw_development(title=f"Batch record {i}") for i in range(10)]}
        await transfer.import_data(cast(Database, db), doc, clock)
        counts = {
            t: await db.scalar(f"SELECT COUNT(*) FROM {t}")
            for t in ("developments", "sources", "revisions", "development_search")
        }
        assert counts == {
            "developments": 10,
            "sources": 10,  # one source each
            "revisions": 10,
            "development_search": 10,
        }
        assert len(await queries.search(db, "batch record", None, limit=20)) == 10
    finally:
        await db.close()


async def test_long_texts_make_documents_postgresql_accepts_with_every_word_it_can_hold(
    pg_url: str,
) -> None:
    # Past 16,383 positions PostgreSQL keeps the last one; a lexeme holds at most 2 KiB.
    many_words = " ".join(f"w{i % 50}" for i in range(20_000))
    long_word = "x" * 3_000
    kept_word = "日" * 600  # 600 characters, 1,800 bytes: kept
    columns = ("Title", f"{kept_word} {long_word} tail", "tag", many_words)
    text = document(columns)
    assert long_word not in text and kept_word in text
    db = await PostgresDatabase.open(pg_url)
    try:
        row = await db.fetchone(
            "SELECT length(CAST(? AS tsvector)), "
            "CAST(? AS tsvector) @@ to_tsquery('simple', 'tail:B & w49:D & title:A')",
            (text, text),
        )
        assert row is not None and row[0] == 1 + 2 + 1 + 50 and row[1]
        # The long word left out still takes its position (4): "tail" is fifth.
        assert "16383D" in text and "'tail':5B" in text
    finally:
        await db.close()
