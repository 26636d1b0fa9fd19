"""`briefbot db copy`: a SQLite database with rows in every table of the schema moves into an
empty PostgreSQL database losslessly (every row of every table, ids, search), or not at all;
a database that holds anything is refused unchanged."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.core import transfer
from bot.core.catalogue import Catalogue
from bot.core.dataset import load_starter
from bot.core.db_copy import copy_database, export_text
from bot.domain.errors import InvalidInput
from harness.postgres import ThrowawayCluster
from storage import catalogue as queries
from storage.contract import DatabaseError, Db
from storage.postgres import copy as pg_copy
from storage.postgres.copy import TargetNotEmpty, copy_sqlite_to_postgres, rows_in, sqlite_tables
from storage.postgres.database import PostgresDatabase
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft, raw_development

AT = "2026-11-20T08:00:00Z"
_names = itertools.count(1)


@pytest.fixture
def pg_url(postgres_cluster: ThrowawayCluster) -> str:
    """A new, empty PostgreSQL database."""
    return postgres_cluster.create_database(f"copy_{next(_names)}")


# A row for each table the catalogue's services do not fill here (feeds, the review queue,
# the delivery ledger and leaders, settings, vectors, Telegram conversations): written as
# the bot writes them.
_MORE_ROWS = [
    "INSERT INTO scope_settings (platform, scope_id, timezone, moderator_role_id, language, "
    "updated_by, updated_at) VALUES ('discord', 4242, 'Asia/Seoul', 77, 'ko', 'mod', ?1)",
    "INSERT INTO subscriptions (id, guild_id, channel_id, topics, cadence, created_by, "
    "created_at, next_run_utc, platform, include_words, waiting_for) VALUES (7, 4242, 555, "
    "'japan-korea', 'daily', 'mod', ?1, '2026-11-21T00:00:00Z', 'discord', '[\"chip\"]', "
    "'a sender')",
    "INSERT INTO digest_deliveries (id, subscription_id, period_key, state, attempts, "
    "message_ids, created_at, window_start, window_end, lease_token) VALUES (3, 7, "
    "'2026-11-19', 'sent', 1, '[1, 2]', ?1, '2026-11-18T00:00:00Z', '2026-11-19T00:00:00Z', 9)",
    "INSERT INTO delivery_leader (id, owner, lease_until, token) VALUES (1, 'host:1', ?1, 4)",
    "INSERT INTO delivery_leaders (platform, owner, lease_until, token) "
    "VALUES ('telegram', 'host:2', ?1, 5)",
    "INSERT INTO feeds (id, platform, scope_id, url, title, interval_s, next_poll_at, added_by, "
    "added_at, notice_pending, last_capped) VALUES (11, NULL, NULL, 'https://example.org/rss', "
    "'Example — 東京', 900, ?1, 'ed', ?1, 1, 3)",
    "INSERT INTO feed_items (feed_id, item_key) VALUES (11, 'guid-1')",
    "INSERT INTO candidates (id, title, summary, occurred_on, date_precision, countries, "
    "domain, relevance, created_at) VALUES (21, 'Candidate', 'A summary', '2026-11-19', 'day', "
    "'JP KR', 'economy', 0.625, ?1)",
    "INSERT INTO candidate_sources (candidate_id, feed_id, link, title, seen_on) "
    "VALUES (21, 11, 'https://example.org/a', 'A', ?1)",
    "INSERT INTO rejected_stories (title, links, rejected_by, rejected_at) "
    "VALUES ('Old news', '[\"https://example.org/b\"]', 'ed', ?1)",
    "INSERT INTO feed_review_channels (queue_key, platform, channel_id, set_by, set_at) "
    "VALUES ('global', 'discord', 999, 'ed', ?1)",
    "INSERT INTO telegram_conversations (name, conv_key, state, updated_at) "
    "VALUES ('add', '[-100123, 42]', 2, ?1)",
    "INSERT INTO telegram_user_data (user_id, data, updated_at) "
    'VALUES (42, \'{"add": {"title": "日韓"}}\', ?1)',
    "INSERT INTO development_vectors (development_id, model, scale, vector, seq) "
    "SELECT MIN(id), 'usem3', 0.125, x'0102ff', 1 FROM developments",
]


async def _full_sqlite(path: Path, clock: FixedClock) -> None:
    """A SQLite database with rows in every table of the schema."""
    db = await Database.open(path)
    try:
        await load_starter(db, clock)
        catalogue = Catalogue(db, clock)
        added = await catalogue.add(EDITOR, draft(title="Seoul and Tokyo agree on chips"))
        await catalogue.retract(EDITOR, added.id, "duplicate")
        await transfer.import_data(
            db, {"developments": [raw_development(title="日韓首脳会談が東京で開かれた")]}, clock
        )
        async with db.transaction() as w:
            for sql in _MORE_ROWS:
                await w.execute(sql, (AT,) if "?1" in sql else ())
            # The commit clock moved past the stamps of older rows: a copy must not restamp.
            await w.execute("UPDATE commit_clock SET high = '2026-11-30T00:00:00Z'")
    finally:
        await db.close()


def _dump(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every data table of the SQLite file: its columns and its rows (sorted)."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith(("developments_fts", "developments_cjk", "sqlite_"))
            and r[0] != "schema_migrations"
        ]
        dump = {}
        for t in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
            rows = conn.execute(f'SELECT * FROM "{t}"')
            dump[t] = (columns, sorted((tuple(row) for row in rows), key=repr))
        return dump
    finally:
        conn.close()


async def _pg_rows(db: PostgresDatabase, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """The table's rows on PostgreSQL, in SQLite's column order (sorted)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    got = await db.fetchall(f'SELECT {quoted} FROM "{table}"')
    return sorted((tuple(r) for r in got), key=repr)


@pytest.mark.parametrize("trusted", [True, False], ids=["keys-proven-once", "keys-row-by-row"])
async def test_a_database_with_rows_in_every_table_is_copied_whole(
    db_path: Path, pg_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, trusted: bool
) -> None:
    # An ordinary owner role may not skip PostgreSQL's per-row foreign-key checks; a
    # superuser skips them once SQLite has checked every key. Both copy the same.
    async def may_skip(db: PostgresDatabase) -> bool:
        return trusted

    monkeypatch.setattr(pg_copy, "may_skip_row_checks", may_skip)
    await _full_sqlite(db_path, clock)
    lines: list[str] = []
    done = await copy_database(db_path, pg_url, progress=lines.append, clock=clock)

    source = _dump(db_path)
    # Every table of the schema has rows here: a table added later without rows in this
    # test fails it, so no table can be skipped by the copy unnoticed.
    assert [t for t, (_, rows) in source.items() if not rows] == []
    lite = await Database.open(db_path, readonly=True)
    try:
        assert set(await sqlite_tables(lite)) == set(source)
    finally:
        await lite.close()
    assert done.report.tables == {t: len(rows) for t, (_, rows) in source.items()}
    assert [line.split(":")[0] for line in lines[: len(source)]] == list(done.report.tables)
    indexed = sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM developments_fts").fetchone()
    assert lines[len(source) :] == [
        f"search index: {indexed[0]} developments indexed",
        "export: identical",
    ]

    pg = await PostgresDatabase.open(pg_url)
    try:
        # Every value of every row, as SQLite holds it (no trigger restamped anything).
        for table, (columns, rows) in source.items():
            assert await _pg_rows(pg, table, columns) == rows, table
        # Export of both, byte for byte, read afresh after the commit.
        lite = await Database.open(db_path, readonly=True)
        try:
            assert export_text(await transfer.export_data(lite, clock)) == export_text(
                await transfer.export_data(pg, clock)  # type: ignore[arg-type]
            )
        finally:
            await lite.close()
        # Search answers from the rebuilt index; the retracted development is not indexed.
        assert await pg.scalar("SELECT COUNT(*) FROM development_search") == indexed[0]
        found = await queries.search(pg, "東京", None)
        assert [d.title for d, _ in found] == ["日韓首脳会談が東京で開かれた"]
        # The planner has the copied tables' statistics (not an empty table's).
        analysed = await pg.fetchall(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        )
        assert set(source) <= {r[0] for r in analysed}
        # Identities continue past the copied ids.
        top = int(await pg.scalar("SELECT MAX(id) FROM developments"))
        added = await Catalogue(pg, clock).add(EDITOR, draft(title="First on PostgreSQL"))
        assert added.id == top + 1
        async with pg.transaction() as w:
            new_feed = await w.execute(
                "INSERT INTO feeds (url, next_poll_at, added_by, added_at) "
                "VALUES ('https://example.org/2', ?, 'ed', ?) RETURNING id",
                (AT, AT),
            )
        assert new_feed == 12
    finally:
        await pg.close()


async def test_a_second_copy_into_the_same_database_is_refused_unchanged(
    db_path: Path, pg_url: str, clock: FixedClock
) -> None:
    await _full_sqlite(db_path, clock)
    await copy_database(db_path, pg_url, clock=clock)
    pg = await PostgresDatabase.open(pg_url)
    try:
        before = {t: await pg.scalar(f'SELECT COUNT(*) FROM "{t}"') for t in _dump(db_path)}
        with pytest.raises(TargetNotEmpty, match=r"is not empty.*Nothing was copied"):
            await copy_database(db_path, pg_url, clock=clock)
        after = {t: await pg.scalar(f'SELECT COUNT(*) FROM "{t}"') for t in _dump(db_path)}
        assert after == before
    finally:
        await pg.close()


async def test_a_target_with_one_row_is_refused_before_it_is_migrated(
    db_path: Path, pg_url: str, clock: FixedClock
) -> None:
    await _full_sqlite(db_path, clock)
    pg = await PostgresDatabase.open(pg_url)
    try:
        await pg.migrate()
        async with pg.transaction() as w:
            await w.execute("INSERT INTO dataset_loads VALUES ('mine', ?)", (AT,))
        with pytest.raises(TargetNotEmpty, match="rows in dataset_loads"):
            await copy_database(db_path, pg_url, clock=clock)
        assert await rows_in(pg) == ["dataset_loads"]
        assert await pg.scalar("SELECT COUNT(*) FROM developments") == 0
    finally:
        await pg.close()


async def test_a_failed_check_leaves_the_target_empty(
    db_path: Path, pg_url: str, clock: FixedClock
) -> None:
    await _full_sqlite(db_path, clock)
    lite = await Database.open(db_path, readonly=True)
    pg = await PostgresDatabase.open(pg_url)
    seen: list[int] = []

    async def fails(copied: Db) -> None:
        seen.append(int(await copied.scalar("SELECT COUNT(*) FROM developments")))
        raise DatabaseError("the check failed")

    try:
        with pytest.raises(DatabaseError, match="the check failed"):
            await copy_sqlite_to_postgres(lite, pg, check=fails)
        assert seen and seen[0] > 0  # the check saw the copy inside its transaction
        assert await rows_in(pg) == []
        # Triggers are on again (the rollback undid switching them off).
        off = await pg.scalar(
            "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'"
        )
        assert off == 0
    finally:
        await pg.close()
        await lite.close()


async def test_a_row_whose_parent_is_missing_is_refused_and_nothing_is_copied(
    db_path: Path, pg_url: str, clock: FixedClock
) -> None:
    await _full_sqlite(db_path, clock)
    conn = sqlite3.connect(db_path)  # foreign keys off: a row SQLite let in unchecked
    conn.execute(
        "INSERT INTO sources (development_id, position, title) VALUES (999999, 1, 'orphan')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(
        DatabaseError, match=r"ForeignKeyViolation.*999999.*nothing was copied"
    ) as caught:
        await copy_database(db_path, pg_url, clock=clock)
    assert "\n" not in str(caught.value)
    pg = await PostgresDatabase.open(pg_url)
    try:
        assert await rows_in(pg) == []
    finally:
        await pg.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://user:hunter2@db/x", "must be a PostgreSQL URL"),
        ("postgresql://user:hunter2@db:port/x", "not a valid PostgreSQL URL"),
        ("postgresql://user:hunter2@db:5432", "must name a database"),
    ],
)
async def test_a_bad_url_is_refused_without_repeating_it(
    db_path: Path, url: str, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says) as caught:
        await copy_database(db_path, url)
    assert "hunter2" not in str(caught.value)
