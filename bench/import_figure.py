"""`python -m bench.import_figure`: only the import figure of `python -m bench`.

The same generated catalogue (same size and seed as the full bench by default) imported
into a new database by `measure.import_catalogue`, the function the full bench times; the
rate and write-lock figures are printed with the import target's verdict. Writes nothing
but the scratch database (`bench/work/import-only.sqlite3`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from bench import measure
from bench.generate import generate
from bench.runner import BENCH_DIR, Config

IMPORT_TARGET = 40_000  # rows/s, as in bench.runner.TARGETS


def main(argv: list[str] | None = None) -> int:
    """Generate the catalogue, time its import `--runs` times; exit 0 when every run passes."""
    defaults = Config()
    parser = argparse.ArgumentParser(prog="python -m bench.import_figure")
    parser.add_argument("--developments", type=int, default=defaults.developments)
    parser.add_argument("--servers", type=int, default=defaults.servers)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    cat = generate(args.developments, args.servers, seed=args.seed)
    path = BENCH_DIR / "work" / "import-only.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    rates = []
    for run in range(1, args.runs + 1):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        figure = asyncio.run(measure.import_catalogue(path, cat))
        rates.append(figure["rows_per_s"])
        print(
            f"run {run}: {figure['rows_per_s']:,} rows/s ({figure['rows']:,} rows in "
            f"{figure['seconds']} s; lock held {figure['lock_held_s']} s in all, at most "
            f"{figure['longest_lock_hold_ms']} ms; "
            f"load average {load:.2f}; {time.perf_counter() - started:.1f} s with the starter)"
        )
    median = sorted(rates)[len(rates) // 2]
    verdict = "PASS" if min(rates) >= IMPORT_TARGET else "MISS"
    print(f"median {median:,} rows/s (target ≥ {IMPORT_TARGET:,}): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
