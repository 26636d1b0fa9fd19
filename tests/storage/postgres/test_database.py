"""The PostgreSQL database: migrations once under a lock, the SQLite schema's tables and
columns, the same reading and writing surface, serialised writers, one-line errors."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage.postgres.database import PostgresDatabase, load_migrations, numbered, redacted
from storage.sqlite.database import Database, DatabaseError, TransactionMisuse

# Tables with no counterpart by name: SQLite's FTS5 indexes (and their shadow tables) are
# PostgreSQL's development_search.
_SQLITE_ONLY_PREFIXES = ("developments_fts", "developments_cjk", "sqlite_")
_POSTGRES_ONLY = {"development_search"}


async def test_every_process_opening_a_new_database_at_once_migrates_it_once(pg_url: str) -> None:
    opened = await asyncio.gather(*(PostgresDatabase.open(pg_url) for _ in range(4)))
    try:
        rows = await opened[0].fetchall("SELECT version, name FROM schema_migrations")
        assert [(r["version"], r["name"]) for r in rows] == [
            (m.version, m.name) for m in load_migrations()
        ]
        assert await opened[1].schema_version() == len(load_migrations())
        assert await opened[2].migrate() == []
    finally:
        for db in opened:
            await db.close()


async def test_the_schema_has_every_table_and_column_sqlite_has(
    pg_url: str, tmp_path: Path
) -> None:
    lite = await Database.open(tmp_path / "schema.sqlite3")
    await lite.close()
    conn = sqlite3.connect(tmp_path / "schema.sqlite3")
    expected: dict[str, set[str]] = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        if not table.startswith(_SQLITE_ONLY_PREFIXES):
            expected[table] = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
    conn.close()

    db = await PostgresDatabase.open(pg_url)
    try:
        rows = await db.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
    finally:
        await db.close()
    actual: dict[str, set[str]] = {}
    for row in rows:
        actual.setdefault(row["table_name"], set()).add(row["column_name"])
    assert set(actual) - _POSTGRES_ONLY == set(expected)
    assert {t: actual[t] for t in expected} == expected


async def test_reads_and_writes_use_the_sqlite_surface(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        async with db.transaction() as w:
            new_id = await w.execute(
                "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?) RETURNING 7",
                ("starter?", "2023-05-01T09:30:00Z"),
            )
            assert new_id == 7
            changed = await w.execute_rowcount(
                "UPDATE dataset_loads SET loaded_at = ? WHERE dataset LIKE 'starter?'", ("x",)
            )
            assert changed == 1
        row = await db.fetchone(
            "SELECT dataset, loaded_at FROM dataset_loads WHERE dataset = ?", ("starter?",)
        )
        assert row is not None and (row[0], row["loaded_at"]) == ("starter?", "x")
        assert await db.scalar("SELECT count(*) FROM dataset_loads") == 1
    finally:
        await db.close()


async def test_a_failed_transaction_changes_nothing(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as w:
                await w.execute("INSERT INTO dataset_loads VALUES (?, ?)", ("a", "b"))
                raise RuntimeError("boom")
        assert await db.scalar("SELECT count(*) FROM dataset_loads") == 0
        with pytest.raises(TransactionMisuse):
            async with db.transaction():
                await db.fetchall("SELECT 1")
    finally:
        await db.close()


async def test_writers_are_serialised_like_sqlite_begin_immediate(pg_url: str) -> None:
    # Read-then-write steps (fencing tokens, revision numbers) rely on having the database to
    # themselves: twenty concurrent read-modify-write transactions lose no increment.
    db = await PostgresDatabase.open(pg_url, max_size=8)
    try:
        async with db.transaction() as w:
            await w.execute("INSERT INTO dataset_loads VALUES ('counter', '0')")

        async def bump() -> None:
            async with db.transaction() as w:
                row = await w.fetchone(
                    "SELECT loaded_at FROM dataset_loads WHERE dataset = 'counter'"
                )
                assert row is not None
                await asyncio.sleep(0.001)
                await w.execute(
                    "UPDATE dataset_loads SET loaded_at = ? WHERE dataset = 'counter'",
                    (str(int(row[0]) + 1),),
                )

        await asyncio.gather(*(bump() for _ in range(20)))
        assert (
            await db.scalar("SELECT loaded_at FROM dataset_loads WHERE dataset = 'counter'") == "20"
        )
    finally:
        await db.close()


async def test_an_unreachable_server_is_one_line_without_the_password(
    postgres_cluster: object,
) -> None:
    url = "postgresql://briefbot:s3cret-pass@127.0.0.1:1/nowhere"
    with pytest.raises(DatabaseError) as caught:
        await PostgresDatabase.open(url)
    message = str(caught.value)
    assert "\n" not in message
    assert "s3cret-pass" not in message
    assert "127.0.0.1:1/nowhere" in message


def test_placeholders_are_numbered_outside_quotes_and_comments() -> None:
    sql = "SELECT ?, '?', \"a?\" -- why?\n FROM t WHERE x = ? AND y = 'it''s ?' AND z = ?"
    assert numbered(sql) == (
        "SELECT $1, '?', \"a?\" -- why?\n FROM t WHERE x = $2 AND y = 'it''s ?' AND z = $3"
    )


def test_a_shown_url_never_holds_the_password() -> None:
    assert redacted("postgresql://bot:pw@db.example:5433/brief") == (
        "postgresql://bot@db.example:5433/brief"
    )


async def test_the_commit_clock_restamps_what_a_stepped_back_clock_wrote(pg_url: str) -> None:
    # SQLite's migration 010, PostgreSQL's 002: after a digest window ending at 10:00 was
    # claimed, a development stamped 09:59 (a clock stepped back) is stamped 10:00.
    db = await PostgresDatabase.open(pg_url)
    try:
        async with db.transaction() as w:
            sub = await w.execute(
                "INSERT INTO subscriptions (guild_id, channel_id, topics, created_by, created_at)"
                " VALUES (1, 2, '[]', 'mod', '2026-12-07T09:00:00Z') RETURNING id"
            )
            await w.execute(
                "INSERT INTO digest_deliveries (subscription_id, period_key, state, created_at,"
                " window_end) VALUES (?, 'p', 'sent', 'x', '2026-12-07T10:00:00Z')",
                (sub,),
            )
            dev = await w.execute(
                "INSERT INTO developments (kind, title, summary, occurred_on, date_precision,"
                " countries, domain, importance, created_by, created_at, updated_by, updated_at)"
                " VALUES ('event', 't', 's', '2026-12-07', 'day', 'JP KR', 'diplomacy', 2,"
                " 'e', '2026-12-07T09:59:00Z', 'e', '2026-12-07T09:59:00Z') RETURNING id"
            )
            await w.execute(
                "INSERT INTO assessments (topic, bottom_line, trend, author, created_at)"
                " VALUES ('trilateral', 'b', 'improving', 'e', '2026-12-07T09:59:30Z')"
            )
        row = await db.fetchone(
            "SELECT created_at, updated_at FROM developments WHERE id = ?", (dev,)
        )
        assert row is not None
        assert (row[0], row[1]) == ("2026-12-07T10:00:00Z", "2026-12-07T10:00:00Z")
        assert await db.scalar("SELECT created_at FROM assessments") == "2026-12-07T10:00:00Z"
    finally:
        await db.close()
