"""Import figure on PostgreSQL beside SQLite's: `python -m bench.pg_import [developments] [runs]`.

The same generated catalogue (bench.generate, the full bench's seed) imported by
`bot.core.transfer.import_data` into a new SQLite file (`measure.import_catalogue`, the
function the full bench times) and into a new database of a throwaway PostgreSQL cluster
(harness.postgres). `pg_import_catalogue` is the PostgreSQL half, for the bench runner to call
with its own cluster. Prints one line per backend and run, then the medians, as rows/s.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from typing import Any, cast

from bench import measure
from bench.generate import Catalogue, generate
from bench.runner import BENCH_DIR
from bot.core import transfer
from harness.postgres import ThrowawayCluster
from storage.bulk import WriteStats
from storage.postgres.database import PostgresDatabase
from storage.sqlite.database import Database

PG_IMPORT_TARGET = 20_000  # rows/s at 100k developments (issue 22, item 8)
_names = itertools.count(1)


async def pg_import_catalogue(url: str, cat: Catalogue) -> dict[str, Any]:
    """Import the generated document into the empty PostgreSQL database at `url`; the rate
    (developments and sources per second, as SQLite's figure counts them)."""
    db = await PostgresDatabase.open(url)
    try:
        rows = cat.stats["developments"] + cat.stats["sources"]
        stats = WriteStats()
        started = time.perf_counter()
        await transfer.import_data(
            cast(Database, db), cat.document, clock=measure.fixed_clock(cat.anchor), stats=stats
        )
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        "longest_lock_hold_ms": round(stats.longest_hold_s * 1000, 1),
        "final_transaction_ms": round(stats.final_hold_s * 1000, 1),
        "write_transactions": stats.transactions,
    }


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2]


async def side_by_side(developments: int, runs: int) -> dict[str, Any]:
    """Time `runs` imports on each backend; the figures and their medians."""
    cat = generate(developments)
    path = BENCH_DIR / "work" / "import-sqlite-beside-pg.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"developments": developments, "sqlite": [], "postgresql": []}
    cluster = ThrowawayCluster().start()
    try:
        for run in range(1, runs + 1):
            lite = await measure.import_catalogue(path, cat)
            pg = await pg_import_catalogue(cluster.create_database(f"imp_{next(_names)}"), cat)
            result["sqlite"].append(lite["rows_per_s"])
            result["postgresql"].append(pg["rows_per_s"])
            print(
                f"run {run}: SQLite {lite['rows_per_s']:,} rows/s, PostgreSQL "
                f"{pg['rows_per_s']:,} rows/s ({pg['rows']:,} rows in {pg['seconds']} s; "
                f"longest write transaction {pg['longest_lock_hold_ms']} ms)"
            )
    finally:
        cluster.stop()
    pg_median = _median(result["postgresql"])
    result["median"] = {"sqlite": _median(result["sqlite"]), "postgresql": pg_median}
    result["pg_verdict"] = "PASS" if pg_median >= PG_IMPORT_TARGET else "MISS"
    return result


def main(argv: list[str]) -> int:
    """Run the comparison; exit 0 when PostgreSQL's median meets its target."""
    developments = int(argv[0]) if argv else 100_000
    runs = int(argv[1]) if len(argv) > 1 else 3
    result = asyncio.run(side_by_side(developments, runs))
    median = result["median"]
    print(
        f"import, median of {runs}: SQLite {median['sqlite']:,} rows/s, PostgreSQL "
        f"{median['postgresql']:,} rows/s (target ≥ {PG_IMPORT_TARGET:,}): {result['pg_verdict']}"
    )
    return 0 if result["pg_verdict"] == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
