"""The benchmark runs end to end at a tiny size: every figure is a positive number.

Not a timing assertion; `python -m bench` measures, this only keeps it working.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.generate import generate
from bench.runner import PENDING, TARGETS, Config, lookup_figure, run


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def test_generator_is_reproducible_and_importable_shape() -> None:
    a, b = generate(200, 10, seed=3), generate(200, 10, seed=3)
    assert a.document == b.document
    assert generate(200, 10, seed=4).document != a.document
    devs = a.document["developments"]
    assert len(devs) == 200 and a.stats["sources"] == 400
    assert all(s["url"].startswith("https://") for d in devs for s in d["sources"])
    assert {d["scope"] for d in devs} - {"global"} <= {str(g) for g in a.guild_ids}


def test_every_figure_is_a_positive_number(tmp_path: Path) -> None:
    config = Config(
        developments=400,
        servers=20,
        brief_reps=8,
        search_reps=4,
        cli_runs=1,
        probe_briefs=5,
        probe_searches=5,
        simcord_reps=3,
        subscriptions=20,
        workdir=tmp_path,
        out=tmp_path / "results.json",
    )
    results = run(config, say=lambda *_: None)
    assert json.loads((tmp_path / "results.json").read_text()) == results
    figures = results["figures"]
    timed = ["brief_work", "brief_sql_bare", "search_common", "search_rare", "search_two_words"]
    for name in [*timed, "cli_brief_cold", "simcord_brief_e2e"]:
        assert _positive(figures[name]["median_ms"]), name
        assert _positive(figures[name]["p99_ms"]), name
    for name in ("import", "export"):
        assert _positive(figures[name]["rows_per_s"]), name
    assert _positive(figures["brief_ratio"]["median"])
    assert _positive(figures["peak_rss"]["peak_rss_mb"])
    counts = {
        f"{figure}.{count}"
        for figure in ("digest_delivery", "digest_delivery_two_processes")
        for count in ("http_429s", "duplicates")
    }
    for target in TARGETS:
        value = lookup_figure(figures, target.figure)
        if target.figure in counts:
            assert value is not None and value >= 0, target.name
        else:
            assert _positive(value), target.name
    assert figures["digest_build"]["digests"] == 20
    assert figures["digest_delivery"]["ledger_mismatches"] == 0
    two = figures["digest_delivery_two_processes"]
    assert two["ledger_mismatches"] == 0 and two["duplicates"] == 0
    assert two["messages_posted"] == figures["digest_delivery"]["messages_posted"]
    for name in PENDING:
        assert figures[name]["status"] == "not measured yet"
    assert all(t["pass"] in (True, False) for t in results["targets"])
