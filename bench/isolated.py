"""`python -m bench.isolated FIGURE --runs 3`: one figure of `python -m bench`, on its own.

On a shared machine a full bench takes minutes and every figure in it moves with the load;
this takes one figure (the same code the full bench runs) several times in a row, each run
preceded by the speed gauge, and prints each run's value, its value in gauges and the
median. FIGURE is one of `brief`, `search`, `cli`, `digests`, `chart`, `import`.

The 100,000-development database is made once in `bench/work/isolated/` (generated and
imported as the full bench does, then the digest set-up) and reused; `--fresh` makes it
again. Each digest run builds from a pristine copy of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from datetime import datetime
from typing import Any

from bench import measure
from bench.chart import chart_figures
from bench.digests import _copy_database, build_all, setup
from bench.gauge import in_gauges, measure_gauge
from bench.generate import Catalogue, generate
from bench.runner import BENCH_DIR, Config
from storage.sqlite.database import Database

WORK = BENCH_DIR / "work" / "isolated"
CATALOGUE = WORK / "catalogue.sqlite3"  # imported, digests not set up (briefs, searches)
READY = WORK / "digests-ready.sqlite3"  # then subscriptions and a week of news
INFO = WORK / "setup.json"


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


def one_run(figure: str, config: Config, cat: Catalogue, info: dict[str, Any]) -> dict[str, Any]:
    """The figure's results as the full bench reports them."""
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
}


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
    seen: dict[str, list[float]] = {name: [] for name, _ in HEADLINES[args.figure]}
    gauges: list[float] = []
    for run in range(1, args.runs + 1):
        gauge = measure_gauge()
        gauges.append(gauge["gauge_ms"])
        results = one_run(args.figure, config, cat, info)
        cells = []
        for name, unit in HEADLINES[args.figure]:
            value = _lookup(results, name)
            seen[name].append(value)
            cells.append(f"{name} {value:,.3f} {unit}{_in_g(value, unit, gauge)}")
        print(
            f"run {run}: {'; '.join(cells)}  [gauge {gauge['gauge_ms']} ms: cpu "
            f"{gauge['cpu_ms']} ms, sqlite {gauge['sqlite_ms']} ms; load {os.getloadavg()[0]:.2f}]",
            flush=True,
        )
    gauge_median = {"gauge_ms": statistics.median(gauges)}
    for name, unit in HEADLINES[args.figure]:
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
