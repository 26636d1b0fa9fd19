"""`python -m bench.isolated FIGURE --runs 3`: one figure of `python -m bench`, on its own.

On a shared machine a full bench takes minutes and every figure in it moves with the load;
this takes one figure (the same code the full bench runs) several times in a row, each run
preceded by the speed gauge, and prints each run's value, its value in gauges and the
median. FIGURE is one of `brief`, `search`, `cli`, `digests`, `chart`, `import`, or one of
the PostgreSQL variants `brief-pg`, `search-pg`, `digests-pg` (and `search-cjk`, SQLite's
column for `search-pg`).

The 100,000-development database is made once in `bench/work/isolated/` (generated and
imported as the full bench does, then the digest set-up) and reused; `--fresh` makes it
again. Each digest run builds from a pristine copy of it.

A PostgreSQL variant starts a throwaway cluster (`harness.postgres`) and copies the same
SQLite file into it once (`bench.pg_backends.copy_sqlite_file`; about a minute at 100,000
developments), then takes each run on that copy, as the full bench's PostgreSQL column does:
`brief-pg` on the catalogue, `digests-pg` on the one with the digests set up (building reads
only), `search-pg` and `search-cjk` on the catalogue with 5% of its summaries in Japanese or
Korean (made once, like the others), with the CJK kinds of query beside the English ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import measure
from bench.chart import chart_figures
from bench.digests import _copy_database, build_all, setup
from bench.gauge import in_gauges, measure_gauge
from bench.generate import Catalogue, generate
from bench.pg_backends import CLUSTER_SETTINGS, copy_sqlite_file, query_kinds, with_cjk
from bench.runner import BENCH_DIR, Config
from harness.postgres import ThrowawayCluster
from storage.postgres.database import PostgresDatabase, numbered
from storage.sqlite.database import Database

WORK = BENCH_DIR / "work" / "isolated"
CATALOGUE = WORK / "catalogue.sqlite3"  # imported, digests not set up (briefs, searches)
READY = WORK / "digests-ready.sqlite3"  # then subscriptions and a week of news
INFO = WORK / "setup.json"
CJK_CATALOGUE = WORK / "catalogue-cjk.sqlite3"  # 5% CJK summaries (search-pg, search-cjk)
# The SQLite file each PostgreSQL variant copies.
PG_SOURCES = {"brief-pg": CATALOGUE, "search-pg": CJK_CATALOGUE, "digests-pg": READY}


def _prepare(config: Config, cat: Catalogue, fresh: bool) -> dict[str, Any]:
    if INFO.exists() and not fresh:
        info: dict[str, Any] = json.loads(INFO.read_text())
        return info
    WORK.mkdir(parents=True, exist_ok=True)
    scratch = WORK / "scratch.sqlite3"
    asyncio.run(measure.import_catalogue(scratch, cat))
    _copy_database(scratch, CATALOGUE)
    info = asyncio.run(
        setup(
            scratch,
            cat.guild_ids,
            config.developments,
            config.subscriptions,
            config.seed,
            cat.anchor,
        )
    )
    _copy_database(scratch, READY)
    measure.remove_database(scratch)
    INFO.write_text(json.dumps(info))
    return info


async def _briefs_and_searches(figure: str, config: Config, cat: Catalogue) -> dict[str, Any]:
    db = await Database.open(CATALOGUE)
    try:
        if figure == "brief":
            return await measure.brief_figures(db, CATALOGUE, cat, config.brief_reps, config.seed)
        return await measure.search_figures(db, cat, config.search_reps, config.seed)
    finally:
        await db.close()


def _prepare_cjk(cat: Catalogue, fresh: bool) -> None:
    if CJK_CATALOGUE.exists() and not fresh:
        return
    scratch = WORK / "scratch-cjk.sqlite3"
    asyncio.run(measure.import_catalogue(scratch, with_cjk(cat)))
    _copy_database(scratch, CJK_CATALOGUE)
    measure.remove_database(scratch)


async def _copy_into(cluster: ThrowawayCluster, source: Path) -> str:
    url = cluster.create_database("isolated")
    db = await PostgresDatabase.open(url)
    try:
        await copy_sqlite_file(source, db, url)
    finally:
        await db.close()
    return url


async def _pg_run(
    figure: str, url: str, config: Config, cat: Catalogue, info: dict[str, Any]
) -> dict[str, Any]:
    db = await PostgresDatabase.open(url)
    try:
        if figure == "digests-pg":
            due = datetime.fromisoformat(info["due_at"])
            return {"digest_build": await build_all(url, due)}
        if figure == "search-pg":
            return await _with_worst(
                measure.search_figures(db, cat, config.search_reps, config.seed, query_kinds(cat)),
                cat,
            )
        conn = await asyncpg.connect(url, server_settings={"plan_cache_mode": "force_custom_plan"})

        async def replay(statements: list[tuple[str, list[Any]]]) -> None:
            for text, params in statements:
                await conn.fetch(numbered(text), *params)

        try:
            return await measure.brief_work_figures(db, cat, config.brief_reps, config.seed, replay)
        finally:
            await conn.close()
    finally:
        await db.close()


async def _with_worst(figures: Awaitable[dict[str, Any]], cat: Catalogue) -> dict[str, Any]:
    found = await figures
    worst = max(query_kinds(cat), key=lambda k: found[f"search_{k}"]["p99_ms"])
    return found | {"search_worst": found[f"search_{worst}"] | {"kind": worst}}


async def _search_cjk(config: Config, cat: Catalogue) -> dict[str, Any]:
    db = await Database.open(CJK_CATALOGUE)
    try:
        return await _with_worst(
            measure.search_figures(db, cat, config.search_reps, config.seed, query_kinds(cat)),
            cat,
        )
    finally:
        await db.close()


def one_run(figure: str, config: Config, cat: Catalogue, info: dict[str, Any]) -> dict[str, Any]:
    """The figure's results as the full bench reports them."""
    if figure == "search-cjk":
        return asyncio.run(_search_cjk(config, with_cjk(cat)))
    if figure in ("brief", "search"):
        return asyncio.run(_briefs_and_searches(figure, config, cat))
    if figure == "cli":
        return measure.cli_cold(CATALOGUE, config.cli_runs, WORK)
    if figure == "chart":
        return chart_figures()
    if figure == "import":
        return {"import": asyncio.run(measure.import_catalogue(WORK / "import.sqlite3", cat))}
    run = WORK / "digest-run.sqlite3"
    _copy_database(READY, run)
    try:
        return {"digest_build": asyncio.run(build_all(run, datetime.fromisoformat(info["due_at"])))}
    finally:
        measure.remove_database(run)


# The value that stands for each figure: (path in the results, unit).
HEADLINES: dict[str, list[tuple[str, str]]] = {
    "brief": [
        ("brief_work.p99_ms", "ms"),
        ("brief_work.median_ms", "ms"),
        ("brief_ratio.median", "×"),
    ],
    "search": [
        ("search_common.p99_ms", "ms"),
        ("search_rare.p99_ms", "ms"),
        ("search_two_words.p99_ms", "ms"),
    ],
    "cli": [("cli_brief_cold.median_ms", "ms")],
    "chart": [("chart_1000.median_ms", "ms")],
    "import": [("import.rows_per_s", "rows/s"), ("import.longest_lock_hold_ms", "ms")],
    "digests": [("digest_build.seconds", "s")],
    "brief-pg": [("brief_work.p99_ms", "ms"), ("brief_work.median_ms", "ms")],
    "search-pg": [
        ("search_worst.p99_ms", "ms"),
        ("search_two_words.p99_ms", "ms"),
        ("search_cjk_three_plus.p99_ms", "ms"),
    ],
    "digests-pg": [("digest_build.seconds", "s")],
}
HEADLINES["search-cjk"] = HEADLINES["search-pg"]


def _lookup(results: dict[str, Any], dotted: str) -> float:
    node: Any = results
    for part in dotted.split("."):
        node = node[part]
    return float(node)


def main(argv: list[str] | None = None) -> int:
    """Take FIGURE `--runs` times; print each run with the gauge, then the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.isolated")
    p.add_argument("figure", choices=sorted(HEADLINES))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--fresh", action="store_true", help="make the database again")
    args = p.parse_args(argv)
    config = Config()
    cat = generate(config.developments, config.servers, seed=config.seed)
    info = _prepare(config, cat, args.fresh)
    if args.figure in ("search-pg", "search-cjk"):
        _prepare_cjk(cat, args.fresh)
    cluster = None
    url = ""
    if args.figure in PG_SOURCES:
        cluster = ThrowawayCluster(settings=CLUSTER_SETTINGS).start()
        url = asyncio.run(_copy_into(cluster, PG_SOURCES[args.figure]))
    try:
        return _runs(args.figure, args.runs, config, cat, info, url)
    finally:
        if cluster is not None:
            cluster.stop()


def _runs(
    figure: str, runs: int, config: Config, cat: Catalogue, info: dict[str, Any], url: str
) -> int:
    seen: dict[str, list[float]] = {name: [] for name, _ in HEADLINES[figure]}
    gauges: list[float] = []
    if figure == "search-pg":
        cat = with_cjk(cat)
    for run in range(1, runs + 1):
        gauge = measure_gauge()
        gauges.append(gauge["gauge_ms"])
        if figure in PG_SOURCES:
            results = asyncio.run(_pg_run(figure, url, config, cat, info))
        else:
            results = one_run(figure, config, cat, info)
        cells = []
        for name, unit in HEADLINES[figure]:
            value = _lookup(results, name)
            seen[name].append(value)
            cells.append(f"{name} {value:,.3f} {unit}{_in_g(value, unit, gauge)}")
        print(
            f"run {run}: {'; '.join(cells)}  [gauge {gauge['gauge_ms']} ms: cpu "
            f"{gauge['cpu_ms']} ms, sqlite {gauge['sqlite_ms']} ms; load {os.getloadavg()[0]:.2f}]",
            flush=True,
        )
    gauge_median = {"gauge_ms": statistics.median(gauges)}
    for name, unit in HEADLINES[figure]:
        value = statistics.median(seen[name])
        print(f"median {name} {value:,.3f} {unit}{_in_g(value, unit, gauge_median)}")
    return 0


def _in_g(value: float, unit: str, gauge: dict[str, float]) -> str:
    if unit == "ms":
        return f" = {in_gauges(value, gauge):.3f} G"
    if unit == "s":
        return f" = {in_gauges(value * 1000, gauge):.2f} G"
    return ""


if __name__ == "__main__":
    sys.exit(main())
