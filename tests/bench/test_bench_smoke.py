"""The benchmark runs end to end at a tiny size, exits by itself, and reports what it took.

Not a timing assertion; `python -m bench` measures, this only keeps it working.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate
from bench.runner import PG_SLOTS, Target, all_targets, lookup_figure
from harness.postgres import PostgresUnavailable, find_bindir

ROOT = Path(__file__).resolve().parents[2]
# A tiny bench takes ~60 s (half of it delivery processes on both backends, mostly waiting);
# one that never exits (a thread left running) is killed here.
EXIT_TIMEOUT_S = 240


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


def test_target_check_passes_and_misses() -> None:
    lower = Target("t", "f", 3, "ms")
    higher = Target("t", "f", 20_000, "rows/s", higher_is_better=True)
    assert lower.check(3) and not lower.check(3.01)
    assert higher.check(20_000) and not higher.check(19_999)


def test_bench_exits_by_itself_with_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--quick",
        "--developments",
        "400",
        "--servers",
        "20",
        "--reps",
        "8",
        "--out",
        str(out),
    ]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    # Raises TimeoutExpired (and fails) when the process is still alive after its results.
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=EXIT_TIMEOUT_S
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    results = json.loads(out.read_text())
    figures = results["figures"]
    timed = ["brief_work", "brief_sql_bare", "search_common", "search_rare", "search_two_words"]
    for name in [*timed, "cli_brief_cold", "simcord_brief_e2e"]:
        assert _positive(figures[name]["median_ms"]), name
        assert figures[name]["p99_ms"] >= figures[name]["median_ms"] > 0, name
    for name in ("import", "export"):
        assert _positive(figures[name]["rows_per_s"]), name
    assert _positive(figures["brief_ratio"]["median"])
    assert _positive(figures["peak_rss"]["peak_rss_mb"])
    assert 0 < figures["import"]["longest_lock_hold_ms"] <= figures["import"]["seconds"] * 1000
    assert figures["import"]["write_transactions"] >= 2
    # The delivery at this size must be clean: no 429s, no duplicates, ledger as posted.
    delivery = figures["digest_delivery"]
    assert delivery["http_429s"] == 0
    assert delivery["duplicates"] == 0
    assert delivery["ledger_mismatches"] == 0
    assert figures["digest_build"]["digests"] == 200
    two = figures["digest_delivery_two_processes"]
    assert two["http_429s"] == 0 and two["ledger_mismatches"] == 0 and two["duplicates"] == 0
    assert two["messages_posted"] == delivery["messages_posted"]
    assert figures["feed_poll"]["new_candidates"] > 0 and figures["feed_poll"]["failed_feeds"] == 0
    assert figures["feed_poll"]["unchanged_round_304s"] == figures["feed_poll"]["feeds"]
    assert _positive(figures["feed_dedupe"]["dense_lookup_ms"])
    # First responses under load: every member command answered, the flooder refused.
    for phase in ("load_flood", "load_import"):
        load = figures[phase]
        assert load["n"] == 200 and _positive(load["p99_ms"])
        assert load["outcomes"].get("flood search refused", 0) > 0, load["outcomes"]
    assert figures["load_import"]["import_developments"] == 400
    measured_pg = _check_backends(figures["backends"], done.stdout)
    # Every target is reported, with the verdict its limit gives, and the exit code agrees.
    by_figure = {t["figure"]: t for t in results["targets"]}
    expected = all_targets(figures)
    assert set(by_figure) == {t.figure for t in expected}
    assert {"backends.postgresql.brief_work.p99_ms"} <= set(by_figure)
    for target in expected:
        value = lookup_figure(figures, target.figure)
        if not measured_pg and target.figure.startswith("backends."):
            # No PostgreSQL here: its targets are reported unmet, never given a number.
            assert value is None and by_figure[target.figure]["pass"] is None, target.name
            continue
        assert value is not None, target.name
        assert by_figure[target.figure]["pass"] is target.check(value), target.name
    all_pass = all(t["pass"] for t in results["targets"])
    assert done.returncode == (0 if all_pass else 1)
    assert ("MISS" in done.stdout) is not all_pass


def _check_backends(backends: dict[str, Any], stdout: str) -> bool:
    """SQLite and PostgreSQL side by side, measured by the same functions on the same rows;
    whether PostgreSQL was measured (without its binaries the run says why, as the tests'
    PostgreSQL half does, unless BRIEFBOT_REQUIRE_POSTGRES=1)."""
    if "status" in backends:
        assert os.environ.get("BRIEFBOT_REQUIRE_POSTGRES") != "1", backends
        with pytest.raises(PostgresUnavailable):
            find_bindir()
        assert "PostgreSQL beside SQLite: not measured" in stdout
        return False
    lite, pg = backends["sqlite"], backends["postgresql"]
    copied = pg["copy"]
    assert copied["search_indexed"] == copied["rows"]["developments"] >= 400
    assert copied["rows"]["sources"] >= 800
    for name in ("brief_work", "search_worst", "search_cjk_two_chars", "search_cjk_three_plus"):
        assert _positive(lite[name]["p99_ms"]) and _positive(pg[name]["p99_ms"]), name
    # The same data gives the same number of hits on both backends, CJK included.
    assert pg["search_hits_mean"] == lite["search_hits_mean"]
    assert pg["search_hits_mean"]["cjk_two_chars"] > 0
    assert pg["digest_build"]["digests"] == lite["digest_build"]["digests"] == 200
    assert pg["digest_build"]["messages"] == lite["digest_build"]["messages"]
    # 200 commands a second shared by two shard processes on one PostgreSQL database.
    shards = pg["load"]
    assert shards["processes"] == 2 and shards["n"] >= 190 and _positive(shards["p99_ms"])
    # A slot whose function does not exist is shown as not measured, never as a number.
    for slot in PG_SLOTS:
        assert "status" in pg[slot.key] or slot.value.split(".")[0] in pg[slot.key], slot.key
    assert "SQLite" in stdout and "PostgreSQL" in stdout
    return True


def test_the_import_figure_runs_alone(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bench.import_figure` times the full bench's import and gives its verdict."""
    from bench import import_figure

    code = import_figure.main(["--developments", "300", "--servers", "5", "--runs", "2"])
    out = capsys.readouterr().out
    assert "run 1: " in out and "run 2: " in out and "900 rows in" in out
    verdict = "PASS" if code == 0 else "MISS"
    assert out.strip().endswith(f"(target ≥ {import_figure.IMPORT_TARGET:,}): {verdict}")
