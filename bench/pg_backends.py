"""SQLite and PostgreSQL side by side: the same catalogue, the same code, both backends.

`python -m bench` calls `compare()` after its SQLite figures; `python -m bench.pg_backends
[developments]` runs it alone and prints JSON (a small size while developing).

One database per backend holds the bench's generated catalogue with a share of its summaries
in Japanese or Korean (`CJK_SHARE`, written as `bench.cjk_search` writes them), so that the
worst query kind includes the CJK ones. The SQLite file is made by the import the bench
times (`measure.import_catalogue`); the PostgreSQL database, in a throwaway cluster
(`harness.postgres`), is a copy of that file, table by table, with the PostgreSQL search
index built from the texts SQLite indexed (`storage.postgres.search`'s `document` and
`bigrams`): exactly the rows and ids of the SQLite file. On each backend the figures are
taken by the same functions, through the bot's code: `compose_brief` and rendering
(`measure.brief_work_figures`), `bot.core.lookup.search` (`measure.search_figures`), and
the digest set-up (`SubscriptionService`, `Catalogue`) and `DigestBuilder`
(`bench.digests.setup` and `build_all`) on a `PostgresDatabase` opened by URL.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import measure
from bench.cjk_search import CJK_QUERIES, _cjk_summary
from bench.digests import build_all, setup
from bench.generate import Catalogue, generate
from harness.postgres import ThrowawayCluster
from storage.contract import Db
from storage.postgres import search as pg_search
from storage.postgres.database import PostgresDatabase, numbered
from storage.sqlite.database import Database

CJK_SHARE = 0.05
# The bench's cluster caches like a small production server (a quarter of 2 GB): the test
# clusters' 64 MB hold less than the 100,000 developments' table, so every lookup would also
# go through the OS cache, which no production database is sized for.
CLUSTER_SETTINGS = ("shared_buffers=512MB",)
CHUNK = 5_000
# Not copied: the migrations' own bookkeeping, and the search index (built from SQLite's).
_NOT_COPIED = {"schema_migrations", "development_search"}


def with_cjk(cat: Catalogue, share: float = CJK_SHARE, seed: int = 9) -> Catalogue:
    """The catalogue with `share` of its summaries in Japanese or Korean (a new document;
    `cat` is left as it is, so the rest of the bench keeps its catalogue)."""
    rng = random.Random(seed)
    devs = []
    for dev in cat.document["developments"]:
        if rng.random() < share:
            dev = dict(dev, summary=_cjk_summary(rng))
        devs.append(dev)
    document = dict(cat.document, developments=devs)
    return Catalogue(
        document=document,
        stats=cat.stats,
        guild_ids=cat.guild_ids,
        vocabulary=cat.vocabulary,
        anchor=cat.anchor,
    )


def query_kinds(cat: Catalogue) -> dict[str, list[str]]:
    """The bench's English kinds of query and the CJK ones."""
    return measure.search_queries(cat) | CJK_QUERIES


# --- copying the SQLite file into PostgreSQL -------------------------------------------------


async def copy_sqlite_file(source: Path, db: PostgresDatabase, url: str) -> dict[str, Any]:
    """Every table of the (migrated, empty) PostgreSQL database that SQLite also has, with
    the columns both have, row for row; each identity sequence moved past the copied ids;
    the search index built; then VACUUM ANALYZE. Bench set-up only (`briefbot db copy` is the
    operator's tool): foreign keys are not checked while copying."""
    started = time.perf_counter()
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    conn = await asyncpg.connect(url)
    copied: dict[str, int] = {}
    try:
        await conn.execute("SET session_replication_role = replica")
        tables = [
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        for table in tables:
            if table in _NOT_COPIED:
                continue
            lite_columns = [r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')]
            if not lite_columns:
                continue
            pg_columns = [
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = $1",
                    table,
                )
            ]
            columns = [c for c in lite_columns if c in pg_columns]
            names = ", ".join(f'"{c}"' for c in columns)
            # Rows a migration seeded (singletons such as the commit clock) come from SQLite.
            await conn.execute(f'DELETE FROM "{table}"')
            cursor = lite.execute(f'SELECT {names} FROM "{table}"')
            count = 0
            while rows := cursor.fetchmany(CHUNK):
                await conn.copy_records_to_table(table, records=rows, columns=columns)
                count += len(rows)
            copied[table] = count
            if "id" in columns:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f'GREATEST(COALESCE((SELECT MAX(id) FROM "{table}"), 0), 1))'
                )
        cursor = lite.execute(
            "SELECT rowid, title, summary, tags, sources FROM developments_fts ORDER BY rowid"
        )
        indexed = 0
        while rows := cursor.fetchmany(CHUNK):
            search_rows = []
            for dev_id, *texts in rows:
                columns4 = tuple(str(t or "") for t in texts)
                search_rows.append(
                    (dev_id, pg_search.document(columns4), pg_search.bigrams(columns4))
                )
            await conn.executemany(
                "INSERT INTO development_search (development_id, document, bigrams) "
                "VALUES ($1, CAST($2 AS tsvector), CAST($3 AS text[]))",
                search_rows,
            )
            indexed += len(rows)
        # As a running database is: vacuumed (the GIN index's pending entries merged, the
        # visibility map set for index-only scans) and analysed. Without it the figures were
        # taken while autovacuum worked through the freshly copied tables.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
        lite.close()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "rows": copied,
        "search_indexed": indexed,
    }


# --- the figures on one backend ----------------------------------------------------------


async def _pg_replay_on(url: str) -> tuple[measure.BareReplay, Callable[[], Any]]:
    conn = await asyncpg.connect(url, server_settings={"plan_cache_mode": "force_custom_plan"})

    async def replay(statements: list[tuple[str, list[Any]]]) -> None:
        for text, params in statements:
            await conn.fetch(numbered(text), *params)

    return replay, conn.close


async def _reads(
    db: Db, cat: Catalogue, reps: tuple[int, int], seed: int, replay: measure.BareReplay
) -> dict[str, Any]:
    figures = await measure.brief_work_figures(db, cat, reps[0], seed, replay)
    figures |= await measure.search_figures(db, cat, reps[1], seed, query_kinds(cat))
    kinds = [k for k in query_kinds(cat) if f"search_{k}" in figures]
    worst = max(kinds, key=lambda k: figures[f"search_{k}"]["p99_ms"])
    figures["search_worst"] = figures[f"search_{worst}"] | {"kind": worst}
    return figures


async def _sqlite_reads(
    path: Path, cat: Catalogue, reps: tuple[int, int], seed: int
) -> dict[str, Any]:
    db = await Database.open(path)
    bare = measure.open_bare(path)

    async def replay(statements: list[tuple[str, list[Any]]]) -> None:
        for text, params in statements:
            bare.execute(text, params).fetchall()

    try:
        return await _reads(db, cat, reps, seed, replay)
    finally:
        bare.close()
        await db.close()


async def _pg_reads(
    url: str, source: Path, cat: Catalogue, reps: tuple[int, int], seed: int
) -> dict[str, Any]:
    db = await PostgresDatabase.open(url)
    try:
        copy = await copy_sqlite_file(source, db, url)
        replay, close = await _pg_replay_on(url)
        try:
            return {"copy": copy} | await _reads(db, cat, reps, seed, replay)
        finally:
            await close()
    finally:
        await db.close()


async def _digests(
    target: Path | str, cat: Catalogue, developments: int, subscriptions: int, seed: int
) -> dict[str, Any]:
    info = await setup(target, cat.guild_ids, developments, subscriptions, seed, cat.anchor)
    built = await build_all(target, datetime.fromisoformat(info["due_at"]))
    return {"digest_setup": info, "digest_build": built}


def compare(
    workdir: Path,
    cat: Catalogue,
    cluster: ThrowawayCluster,
    *,
    brief_reps: int,
    search_reps: int,
    subscriptions: int,
    seed: int,
    say: Callable[[str], object] = print,
) -> dict[str, Any]:
    """`{"sqlite": figures, "postgresql": figures}` on the same data (see the module's
    docstring); the PostgreSQL database is made in the running `cluster`."""
    mixed = with_cjk(cat)
    developments = int(cat.stats["developments"])
    reps = (brief_reps, search_reps)
    path = workdir / "backends.sqlite3"
    imported = asyncio.run(measure.import_catalogue(path, mixed))
    say(f"  backends: SQLite database with {CJK_SHARE:.0%} CJK summaries imported")
    out: dict[str, Any] = {"cjk_share": CJK_SHARE, "developments": developments}
    sqlite = {"import": imported} | asyncio.run(_sqlite_reads(path, mixed, reps, seed))
    say("  backends: SQLite briefs and searches measured")
    url = cluster.create_database("backends")
    version = cluster.psql("SHOW server_version").strip()
    postgresql = asyncio.run(_pg_reads(url, path, mixed, reps, seed))
    say("  backends: PostgreSQL copy, briefs and searches measured")
    postgresql |= asyncio.run(_digests(url, mixed, developments, subscriptions, seed))
    say("  backends: PostgreSQL digests built")
    # The SQLite digests last: the set-up writes into the file PostgreSQL was copied from.
    sqlite |= asyncio.run(_digests(path, mixed, developments, subscriptions, seed))
    say("  backends: SQLite digests built")
    measure.remove_database(path)
    out["postgresql_version"] = version
    out["sqlite"] = sqlite
    out["postgresql"] = postgresql
    return out


def main(argv: list[str]) -> int:
    """`python -m bench.pg_backends [developments] [reps]`: both backends, as JSON."""
    n = int(argv[0]) if argv else 5_000
    reps = int(argv[1]) if len(argv) > 1 else 50
    cat = generate(n, max(10, n // 100))
    workdir = Path(__file__).resolve().parent / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = ThrowawayCluster(settings=CLUSTER_SETTINGS).start()
    try:
        result = compare(
            workdir,
            cat,
            cluster,
            brief_reps=reps,
            search_reps=reps,
            subscriptions=max(20, n // 50),
            seed=20261125,
            say=lambda s: print(s, file=sys.stderr),
        )
    finally:
        cluster.stop()
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
