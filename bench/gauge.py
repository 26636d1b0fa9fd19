"""The speed gauge: a fixed CPU workload and a fixed SQLite workload, timed first.

Machines of one kind differ by about 2× in speed, so a figure alone says little about the
code. Every run times the same two workloads (they never change with the project's code)
and prints each time figure also divided by the gauge: a figure of 0.5 G took half as long
as the gauge's workloads did on that machine, on any machine. `python -m bench.gauge`
prints the gauge alone (a quick "how fast is this machine right now", before and after a
figure measured on its own).

- `cpu_ms`: pure Python (integer arithmetic, string building, dict and list work, sorting),
  ~100 ms on the reference machine; the interpreter's speed, like rendering and choosing.
- `sqlite_ms`: an in-memory SQLite database of 20,000 rows: insert, index, indexed lookups,
  an FTS5 index and its queries; the library's speed, like the bot's reads.
- `gauge_ms`: their geometric mean, the unit `G` that time figures are divided by.

Each workload runs five times; the gauge keeps the median.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import statistics
import sys
import time
from typing import Any

RUNS = 5


def cpu_workload() -> int:
    """A fixed amount of pure Python work; returns a checksum so nothing is optimised away."""
    rng = random.Random(7)
    words = [
        "".join(chr(97 + rng.randrange(26)) for _ in range(rng.randint(3, 9))) for _ in range(4000)
    ]
    total = 0
    for round_ in range(10):
        counts: dict[str, int] = {}
        for i, w in enumerate(words):
            key = w[: 1 + (i + round_) % 4]
            counts[key] = counts.get(key, 0) + i
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        total += sum(len(k) * v for k, v in ordered[:500]) % 1_000_003
        text = " ".join(f"{k}:{v}" for k, v in ordered)
        total += len(text.split(":"))
    n = 0
    for i in range(250_000):
        n = (n * 31 + i) % 1_000_000_007
    return total + n


def sqlite_workload() -> int:
    """A fixed amount of SQLite work in memory; returns a checksum."""
    rng = random.Random(11)
    vocab = [f"w{i}" for i in range(2000)]
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, day TEXT, body TEXT)")
        rows = [
            (
                i,
                rng.randrange(500),
                f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                " ".join(rng.choice(vocab) for _ in range(8)),
            )
            for i in range(20_000)
        ]
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
        conn.execute("CREATE INDEX t_k ON t (k, day)")
        conn.execute("CREATE VIRTUAL TABLE f USING fts5(body)")
        conn.execute("INSERT INTO f (rowid, body) SELECT id, body FROM t")
        total = 0
        for k in range(0, 500, 2):
            total += conn.execute(
                "SELECT count(*), max(day) FROM t WHERE k = ? AND day >= '2026-06-01'", (k,)
            ).fetchone()[0]
        for w in vocab[:200]:
            total += len(
                conn.execute(
                    "SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT 10", (w,)
                ).fetchall()
            )
        return total
    finally:
        conn.close()


def _median_ms(work: Any) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        work()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def measure_gauge() -> dict[str, float]:
    """Time both workloads; `gauge_ms` is their geometric mean."""
    cpu = _median_ms(cpu_workload)
    lite = _median_ms(sqlite_workload)
    return {
        "cpu_ms": round(cpu, 2),
        "sqlite_ms": round(lite, 2),
        "gauge_ms": round(math.sqrt(cpu * lite), 2),
    }


def in_gauges(value_ms: float, gauge: dict[str, float]) -> float:
    """A time figure (ms) divided by the gauge."""
    return value_ms / gauge["gauge_ms"]


def main() -> int:
    """Print the gauge."""
    print(json.dumps({"gauge": measure_gauge()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
