"""The timeline chart at size: drawing 1,000 developments (target ≤ 150 ms, median).

`python -m bench.chart` prints the figure; `bench.runner` takes it with the others. The
first draw is reported apart: it loads matplotlib and the CJK font once per process.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, timedelta
from typing import Any

from bench.measure import Timing
from bot.core.chart import render_timeline_png
from bot.domain.models import DOMAINS, Development, FuzzyDate, Source

TARGET_MS = 150.0


def chart_developments(n: int, seed: int = 1) -> list[Development]:
    """`n` developments spread over ten years, mixed domains, precision and importance,
    with Japanese and Korean words in some titles."""
    rng = random.Random(seed)
    start = date(2016, 1, 1)
    titles = ("Summit in Tokyo", "日韓首脳会談", "한미 연합훈련", "Export controls lifted")
    return [
        Development(
            id=i + 1,
            kind="event",
            title=f"{rng.choice(titles)} #{i}",
            summary="",
            occurred=FuzzyDate(
                start + timedelta(days=rng.randrange(3650)),
                "day" if rng.random() < 0.85 else "month",
            ),
            countries=("JP", "KR"),
            domain=rng.choice(DOMAINS),
            importance=rng.choice((1, 2, 2, 3)),
            sources=(Source(title="Example"),),
        )
        for i in range(n)
    ]


def chart_figures(n: int = 1_000, reps: int = 15, seed: int = 1) -> dict[str, Any]:
    """Median and p99 of drawing `n` developments, after one warm-up draw."""
    devs = chart_developments(n, seed)
    t0 = time.perf_counter()
    png = render_timeline_png(devs, "US–Japan–South Korea", f"{n:,} developments")
    first_ms = (time.perf_counter() - t0) * 1000
    timing = Timing()
    for _ in range(reps):
        t0 = time.perf_counter()
        render_timeline_png(devs, "US–Japan–South Korea", f"{n:,} developments")
        timing.add(time.perf_counter() - t0)
    return {
        "chart_1000": {
            **timing.summary(),
            "developments": n,
            "first_draw_ms": round(first_ms, 1),
            "png_bytes": len(png),
        }
    }


def main() -> int:
    """Print the figure and whether it meets the target."""
    figures = chart_figures()
    print(json.dumps(figures, indent=2))
    ok = figures["chart_1000"]["median_ms"] < TARGET_MS
    print(
        f"chart of 1,000 developments: target < {TARGET_MS:.0f} ms median: {'pass' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
