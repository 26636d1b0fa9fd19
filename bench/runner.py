"""Generate the catalogue, take every figure, check the targets, write results.json."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import delivery_backends, measure
from bench.chart import chart_figures
from bench.digests import digest_figures
from bench.feeds import feed_figures
from bench.feeds import lines as feed_lines
from bench.gauge import measure_gauge
from bench.generate import Catalogue, generate
from bench.load import LoadPlan, measure_load_process
from bench.load import lines as load_lines
from bench.pg_backends import CLUSTER_SETTINGS, compare
from bench.simcord_e2e import simcord_brief
from bot import __version__
from harness.postgres import PostgresUnavailable, ThrowawayCluster
from storage.sqlite.database import Database

BENCH_DIR = Path(__file__).resolve().parent
NOT_MEASURED = "not measured yet"


@dataclass(frozen=True)
class Config:
    """How big and how many times."""

    developments: int = 100_000
    servers: int = 1_000
    seed: int = 20261125
    brief_reps: int = 400
    search_reps: int = 200
    cli_runs: int = 10
    probe_briefs: int = 300
    probe_searches: int = 300
    simcord_reps: int = 200
    subscriptions: int = 2_000
    feeds: int = 500  # bench/feeds.py
    feed_items: int = 50
    load_seconds: float = 10.0  # bench/load.py: each phase
    load_import: int = 100_000  # developments imported beside the load
    workdir: Path = BENCH_DIR / "work"
    out: Path = BENCH_DIR / "results.json"

    @property
    def database(self) -> Path:
        return self.workdir / "bench.sqlite3"


QUICK = Config(
    developments=5_000,
    servers=100,
    brief_reps=50,
    search_reps=30,
    cli_runs=3,
    probe_briefs=50,
    probe_searches=50,
    simcord_reps=20,
    subscriptions=200,
    feeds=50,
    load_seconds=1.0,
    load_import=2_000,
)


@dataclass(frozen=True)
class Target:
    name: str
    figure: str
    limit: float
    unit: str
    higher_is_better: bool = False

    def check(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit


# Issue 21: every time target at half of what the bot must do (so it still holds on a
# machine twice as slow): /brief p99 10 → 5 ms, search p99 20 → 10 ms, cold CLI 300 →
# 150 ms, write-lock hold 500 → 250 ms, digests 2 → 1 s, chart 300 → 150 ms, event-loop
# lag 100 → 50 ms; the /brief ratio 3 → 2.5×; the import rate 20,000 → 40,000 rows/s.
TARGETS = (
    Target("/brief work p99", "brief_work.p99_ms", 5, "ms"),
    Target("/brief work ÷ bare SQL (median)", "brief_ratio.median", 2.5, "×"),
    Target("/search p99 (worst query kind)", "search_worst.p99_ms", 10, "ms"),
    Target("cold `briefbot brief japan-korea` (median)", "cli_brief_cold.median_ms", 150, "ms"),
    Target("import rate", "import.rows_per_s", 40_000, "rows/s", higher_is_better=True),
    Target("longest write-lock hold during the import", "import.longest_lock_hold_ms", 250, "ms"),
    Target("peak RSS serving briefs and searches", "peak_rss.peak_rss_mb", 80, "MB"),
    Target("building one period's digests (all subscriptions)", "digest_build.seconds", 1, "s"),
    Target(
        "digest delivery rate ÷ Discord's 50 req/s",
        "digest_delivery.fraction_of_limit",
        0.9,
        "",
        higher_is_better=True,
    ),
    Target("digest delivery: 429s received", "digest_delivery.http_429s", 0, ""),
    Target("digest delivery: duplicate messages", "digest_delivery.duplicates", 0, ""),
    Target("digest delivery: event-loop lag p99", "digest_delivery.loop_lag_p99_ms", 50, "ms"),
    Target(
        "digest delivery, two bot processes, rate ÷ 50 req/s",
        "digest_delivery_two_processes.fraction_of_limit",
        0.9,
        "",
        higher_is_better=True,
    ),
    Target(
        "digest delivery, two bot processes: 429s",
        "digest_delivery_two_processes.http_429s",
        0,
        "",
    ),
    Target(
        "digest delivery, two bot processes: duplicates",
        "digest_delivery_two_processes.duplicates",
        0,
        "",
    ),
    Target(
        "digest delivery, two bot processes: event-loop lag p99",
        "digest_delivery_two_processes.loop_lag_p99_ms",
        50,
        "ms",
    ),
    Target(
        "digest delivery on PostgreSQL, two bot processes, rate ÷ 50 req/s",
        "digest_delivery_backends.postgresql.fraction_of_limit",
        0.9,
        "",
        higher_is_better=True,
    ),
    Target(
        "digest delivery on PostgreSQL, two bot processes: duplicates",
        "digest_delivery_backends.postgresql.duplicates",
        0,
        "",
    ),
    Target(
        "sender takeover after kill -9 (first post), SQLite",
        "digest_delivery_backends.sqlite.takeover_first_post_s",
        10,
        "s",
    ),
    Target(
        "sender takeover after kill -9 (first post), PostgreSQL",
        "digest_delivery_backends.postgresql.takeover_first_post_s",
        10,
        "s",
    ),
    Target(
        "after a kill -9 of the sender: duplicates (both backends)",
        "digest_delivery_backends.takeover_duplicates",
        0,
        "",
    ),
    Target("timeline chart of 1,000 developments (median)", "chart_1000.median_ms", 150, "ms"),
    Target(
        "first response p99: 200 commands/s, a flooding member, an import beside",
        "load.p99_ms",
        250,
        "ms",
    ),
    # Feeds: the classifier on tests/data/headlines.tsv.
    Target("feed classifier country precision", "classifier.country_precision", 0.95, "", True),
    Target("feed classifier country recall", "classifier.country_recall", 0.9, "", True),
    Target("feed classifier domain accuracy", "classifier.domain_accuracy", 0.8, "", True),
    # PostgreSQL beside SQLite (issue 22 item 8, `bench/pg_backends.py`): what the bot must
    # do, on the same catalogue, measured by the same functions as the SQLite column.
    Target("PostgreSQL: /brief work p99", "backends.postgresql.brief_work.p99_ms", 10, "ms"),
    Target(
        "PostgreSQL: /search p99 (worst query kind, CJK included)",
        "backends.postgresql.search_worst.p99_ms",
        20,
        "ms",
    ),
    Target(
        "PostgreSQL: building one period's digests (all subscriptions)",
        "backends.postgresql.digest_build.seconds",
        2,
        "s",
    ),
)


@dataclass(frozen=True)
class PgContext:
    """What a PostgreSQL slot's function gets: the bench's settings and catalogue, the
    SQLite bench database (imported; digests, feeds and load already ran on it) and a
    running throwaway cluster (`cluster.create_database(name)` gives a fresh database's URL;
    the cluster is removed after the last slot)."""

    config: Config
    catalogue: Catalogue
    sqlite_database: Path
    cluster: ThrowawayCluster


@dataclass(frozen=True)
class PgSlot:
    """A PostgreSQL figure taken by another part of the bench: `hook` ("module:function")
    is called with a `PgContext` and returns the figure's dict, stored as
    `figures["backends"]["postgresql"][key]`. A missing module or function leaves the row
    "not measured" and its target out; never a made-up number."""

    key: str
    label: str
    hook: str
    value: str  # the dotted path, inside the figure's dict, of the value the table shows
    unit: str
    sqlite_figure: str | None  # the SQLite column's figure (dotted, in `figures`), if any
    target: Target | None


# The figures of issue 22 item 8 that other parts of the bench take on PostgreSQL, on the
# same cluster (delivery through two processes and the sender's takeover are measured on
# both backends by `bench.delivery_backends`, in TARGETS).
PG_SLOTS = (
    PgSlot(
        "import",
        "import (rows/s)",
        "bench.pg_import:pg_import_figures",
        "rows_per_s",
        "rows/s",
        "import.rows_per_s",
        Target(
            "PostgreSQL: import rate",
            "backends.postgresql.import.rows_per_s",
            20_000,
            "rows/s",
            higher_is_better=True,
        ),
    ),
    PgSlot(
        "load",
        "200 mixed commands/s, p99",
        "bench.load:pg_load_figures",
        "p99_ms",
        "ms",
        "load.p99_ms",
        None,  # the issue names the figure, not a limit
    ),
)

PENDING: dict[str, str] = {}  # figures named by the issue but not measured yet


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "briefbot": __version__,
    }


def lookup_figure(figures: dict[str, Any], dotted: str) -> float | None:
    node: Any = figures
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) else None


async def _in_process(config: Config, cat: Catalogue) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    figures["import"] = await measure.import_catalogue(config.database, cat)
    db = await Database.open(config.database)
    try:
        figures["export"] = await measure.export_catalogue(db)
        figures |= await measure.brief_figures(
            db, config.database, cat, config.brief_reps, config.seed
        )
        figures |= await measure.search_figures(db, cat, config.search_reps, config.seed)
    finally:
        await db.close()
    worst = max(
        (figures[f"search_{k}"] for k in ("common", "rare", "two_words")),
        key=lambda f: f["p99_ms"],
    )
    figures["search_worst"] = worst
    return figures


def run(config: Config, *, say: Any = print) -> dict[str, Any]:
    """Take every figure; returns (and writes) the results document."""
    started = time.perf_counter()
    config.workdir.mkdir(parents=True, exist_ok=True)
    # First, on a machine not yet busy with the bench's own files: how fast it is now.
    gauge = measure_gauge()
    say(
        f"speed gauge: {gauge['gauge_ms']} ms (cpu {gauge['cpu_ms']} ms, "
        f"sqlite {gauge['sqlite_ms']} ms)"
    )
    say(
        f"generating {config.developments:,} developments, {config.servers:,} servers "
        f"(seed {config.seed}) …"
    )
    t0 = time.perf_counter()
    cat = generate(config.developments, config.servers, seed=config.seed)
    say(f"  generated in {time.perf_counter() - t0:.1f} s: {cat.stats}")
    # The generated catalogue (~400,000 objects) is the bench's, not the bot's: kept out of
    # the collector's full passes, which paused the figures taken in this process for
    # 130-180 ms each.
    gc.freeze()
    figures = asyncio.run(_in_process(config, cat))
    say("  imported, exported, briefs and searches measured")
    figures |= measure.cli_cold(config.database, config.cli_runs, config.workdir)
    figures |= measure.peak_rss(config.database, cat, config.probe_briefs, config.probe_searches)
    figures |= asyncio.run(
        simcord_brief(config.database, cat.anchor, cat.guild_ids, config.simcord_reps, config.seed)
    )
    say("  /brief through SimCord measured")
    # Last: it writes subscriptions, news and the ledger into the bench database.
    figures |= digest_figures(
        config.database,
        cat.guild_ids,
        config.developments,
        config.subscriptions,
        config.seed,
        cat.anchor,
    )
    say("  digests built and delivered")
    figures["digest_delivery_backends"] = delivery_backends.measure(
        min(config.subscriptions // 5, delivery_backends.FULL_BENCH_SUBSCRIPTIONS), runs=1
    )
    say("  delivery and sender takeover measured on SQLite and PostgreSQL")
    figures |= feed_figures(config.database, config.feeds, config.feed_items, config.seed)
    say("  feeds polled and deduplicated")
    figures |= chart_figures()
    say("  timeline chart drawn")
    # Last: its import phase adds a whole catalogue to the bench database.
    plan = LoadPlan(
        seconds=config.load_seconds,
        import_developments=min(config.load_import, config.developments),
        import_servers=config.servers,
        seed=config.seed,
    )
    figures |= asyncio.run(measure_load_process(config.database, plan))
    say("  first responses under load measured")
    figures["backends"] = backends(config, cat, say)
    for name, why in PENDING.items():
        figures[name] = {"status": NOT_MEASURED, "why": why}
    targets = []
    for t in all_targets(figures):
        value = lookup_figure(figures, t.figure)
        targets.append(
            {
                "target": t.name,
                "figure": t.figure,
                "limit": t.limit,
                "unit": t.unit,
                "higher_is_better": t.higher_is_better,
                "value": value,
                "pass": None if value is None else t.check(value),
                "in_gauges": in_gauges_of(value, t.unit, gauge),
            }
        )
    results = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "gauge": gauge,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "catalogue": cat.stats,
        "figures": figures,
        "targets": targets,
        "duration_s": round(time.perf_counter() - started, 1),
    }
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results


def find_hook(hook: str) -> Callable[[PgContext], dict[str, Any]] | None:
    """The function a slot names, or None when its module or function does not exist."""
    module_name, _, function = hook.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the module exists but is broken: say so, do not hide it
        return None
    fn = getattr(module, function, None)
    return fn if callable(fn) else None


def backends(config: Config, cat: Catalogue, say: Any = print) -> dict[str, Any]:
    """SQLite and PostgreSQL side by side (`bench/pg_backends.py`), then the PostgreSQL
    slots on the same cluster. Without PostgreSQL binaries: not measured, and why."""
    try:
        cluster = ThrowawayCluster(settings=CLUSTER_SETTINGS).start()
    except PostgresUnavailable as exc:
        return {"status": NOT_MEASURED, "why": str(exc)}
    try:
        result = compare(
            config.workdir,
            cat,
            cluster,
            brief_reps=config.brief_reps,
            search_reps=config.search_reps,
            subscriptions=config.subscriptions,
            seed=config.seed,
            say=say,
        )
        context = PgContext(config, cat, config.database, cluster)
        for slot in PG_SLOTS:
            fn = find_hook(slot.hook)
            if fn is None:
                result["postgresql"][slot.key] = {
                    "status": NOT_MEASURED,
                    "why": f"{slot.hook} does not exist",
                }
                continue
            result["postgresql"][slot.key] = fn(context)
            say(f"  backends: PostgreSQL {slot.label} measured")
    finally:
        cluster.stop()
    return result


def all_targets(figures: dict[str, Any]) -> list[Target]:
    """`TARGETS`, and the target of each PostgreSQL slot that was measured."""
    measured = figures.get("backends", {}).get("postgresql", {})
    return [*TARGETS] + [
        s.target
        for s in PG_SLOTS
        if s.target is not None and "status" not in measured.get(s.key, {"status": None})
    ]


def in_gauges_of(value: float | None, unit: str, gauge: dict[str, float]) -> float | None:
    """A time figure divided by the speed gauge (`bench/gauge.py`); None for other units."""
    scale = {"ms": 1.0, "s": 1000.0}.get(unit)
    if value is None or scale is None:
        return None
    return round(value * scale / gauge["gauge_ms"], 4)


_GAUGE: dict[str, float] = {}  # the report's gauge, for `_ms`


def _ms(f: dict[str, Any]) -> str:
    text = f"median {f['median_ms']:8.3f} ms   p99 {f['p99_ms']:8.3f} ms   (n={f['n']})"
    if _GAUGE:
        g = _GAUGE["gauge_ms"]
        text += f"   ÷ G: {f['median_ms'] / g:.4f} / {f['p99_ms'] / g:.4f}"
    return text


def _delivery_line(label: str, d: dict[str, Any]) -> str:
    return (
        f"{label:<20}{d['messages_posted']:,} messages in {d['seconds']} s: "
        f"{d['requests_per_s']} req/s = {d['fraction_of_limit']:.1%} of 50; "
        f"most in any second {d['max_in_any_second']}; 429s {d['http_429s']}; "
        f"duplicates {d['duplicates']}; ledger mismatches {d['ledger_mismatches']}; "
        f"loop lag p99 {d['loop_lag_p99_ms']} ms"
    )


def _digest_lines(f: dict[str, Any]) -> str:
    b = f["digest_build"]
    return (
        f"digest build        {b['digests']:,} digests of {', '.join(b['periods'])} in "
        f"{b['seconds']} s ({b['messages']:,} messages; per digest {_ms(b['per_digest'])})\n"
        + _delivery_line("digest delivery", f["digest_delivery"])
        + "\n"
        + _delivery_line("  two processes", f["digest_delivery_two_processes"])
    )


def _cell(value: float | None, unit: str, gauge: dict[str, float] | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.3f}".rstrip("0").rstrip(".") + (f" {unit}" if unit else "")
    scale = {"ms": 1.0, "s": 1000.0}.get(unit)
    if gauge and scale is not None:
        text += f" ({value * scale / gauge['gauge_ms']:.3f} G)"
    return text


# The side-by-side rows measured by `bench/pg_backends.py`: (label, figure in each backend's
# figures, unit).
BACKEND_ROWS = (
    ("/brief work p99", "brief_work.p99_ms", "ms"),
    ("/brief work median", "brief_work.median_ms", "ms"),
    ("/brief bare SQL median", "brief_sql_bare.median_ms", "ms"),
    ("/search p99, worst kind", "search_worst.p99_ms", "ms"),
    ("/search p99, common words", "search_common.p99_ms", "ms"),
    ("/search p99, rare words", "search_rare.p99_ms", "ms"),
    ("/search p99, two words", "search_two_words.p99_ms", "ms"),
    ("/search p99, CJK 2 characters", "search_cjk_two_chars.p99_ms", "ms"),
    ("/search p99, CJK 2 chars, rare", "search_cjk_two_chars_rare.p99_ms", "ms"),
    ("/search p99, CJK 3+ characters", "search_cjk_three_plus.p99_ms", "ms"),
    ("digests built (one period)", "digest_build.seconds", "s"),
    ("digest set-up: subscribing", "digest_setup.subscribe_seconds", "s"),
)


def backend_lines(f: dict[str, Any], gauge: dict[str, float] | None) -> list[str]:
    """The SQLite and PostgreSQL columns, one row a figure (÷ G in brackets)."""
    b = f.get("backends")
    if not b:
        return []
    if "status" in b:
        return [f"PostgreSQL beside SQLite: {b['status']}: {b['why']}"]
    lite, pg = b["sqlite"], b["postgresql"]
    digests = pg.get("digest_build", {}).get("digests", 0)
    rows = [
        (label, lookup_figure(lite, path), lookup_figure(pg, path), unit)
        for label, path, unit in BACKEND_ROWS
    ]
    worst = (lite["search_worst"].get("kind"), pg["search_worst"].get("kind"))
    lines = [
        f"PostgreSQL {b['postgresql_version']} beside SQLite: the same "
        f"{b['developments']:,} developments, {b['cjk_share']:.0%} of summaries "
        f"in Japanese or Korean; {digests:,} digests; worst search kind {worst[0]} / {worst[1]}",
        f"{'':<34}{'SQLite':<26}PostgreSQL",
        *(
            f"{label:<34}{_cell(a, unit, gauge):<26}{_cell(c, unit, gauge)}"
            for label, a, c, unit in rows
        ),
        f"{'copy of the SQLite file':<34}{'—':<26}{pg['copy']['seconds']} s",
    ]
    for slot in PG_SLOTS:
        lite_value = None if slot.sqlite_figure is None else lookup_figure(f, slot.sqlite_figure)
        got = pg.get(slot.key, {})
        if "status" in got:
            pg_cell = f"{got['status']} ({got['why']})"
        else:
            pg_cell = _cell(lookup_figure(got, slot.value), slot.unit, gauge)
        lines.append(f"{slot.label:<34}{_cell(lite_value, slot.unit, gauge):<26}{pg_cell}")
    return lines


def report(results: dict[str, Any]) -> str:
    """Every figure and every target, as text."""
    f = results["figures"]
    m = results["machine"]
    g = results.get("gauge")
    _GAUGE.clear()
    _GAUGE.update(g or {})
    lines = [
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, SQLite {m['sqlite']}",
        (
            f"speed gauge G = {g['gauge_ms']} ms (cpu {g['cpu_ms']} ms, sqlite {g['sqlite_ms']} ms): "
            "time figures are also shown ÷ G"
            if g
            else "speed gauge: not measured"
        ),
        f"catalogue: {results['catalogue']}",
        "",
        f"import              {f['import']['rows_per_s']:>10,} rows/s  "
        f"({f['import']['rows']:,} developments+sources in {f['import']['seconds']} s; "
        f"write lock held at most {f['import']['longest_lock_hold_ms']} ms at a time, "
        f"{f['import']['write_transactions']} transactions, the final one "
        f"{f['import']['final_transaction_ms']} ms)",
        f"export              {f['export']['rows_per_s']:>10,} rows/s  "
        f"({f['export']['rows']:,} developments+sources in {f['export']['seconds']} s)",
        f"/brief work         {_ms(f['brief_work'])}",
        f"/brief bare SQL     {_ms(f['brief_sql_bare'])}",
        f"/brief ratio        median {f['brief_ratio']['median']}×   p99 {f['brief_ratio']['p99']}×",
        f"/search common      {_ms(f['search_common'])}",
        f"/search rare        {_ms(f['search_rare'])}",
        f"/search two words   {_ms(f['search_two_words'])}",
        f"cold CLI brief      {_ms(f['cli_brief_cold'])}",
        f"/brief via SimCord  {_ms(f['simcord_brief_e2e'])} (informational)",
        f"peak RSS            {f['peak_rss']['peak_rss_mb']} MB "
        f"(after opening: {f['peak_rss']['rss_after_open_mb']} MB; "
        f"{f['peak_rss']['briefs']} briefs, {f['peak_rss']['searches']} searches)",
        _digest_lines(f),
        delivery_backends.report(f["digest_delivery_backends"]),
        *feed_lines(f),
        *load_lines(f),
        "",
        *backend_lines(f, g),
    ]
    for name in PENDING:
        lines.append(f"{name:<19} {NOT_MEASURED}: {f[name]['why']}")
    lines.append("")
    for t in results["targets"]:
        verdict = "PASS" if t["pass"] else "MISS"
        op = "≥" if t.get("higher_is_better") else "≤"
        value = "n/a" if t["value"] is None else f"{t['value']:,.3f}".rstrip("0").rstrip(".")
        in_g = t.get("in_gauges")
        gauged = "" if in_g is None else f" = {in_g:.3f} G"
        lines.append(
            f"{verdict}  {t['target']}: {value} {t['unit']}{gauged} (target {op} {t['limit']:,})"
        )
    lines.append(f"\nwrote {results['config']['out']} in {results['duration_s']} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench", description="Measure Trilateral Brief at scale."
    )
    p.add_argument("--quick", action="store_true", help="5,000 developments, few repetitions")
    p.add_argument("--developments", type=int, help="catalogue size (default 100,000)")
    p.add_argument("--servers", type=int, help="servers with their own developments")
    p.add_argument("--seed", type=int, help="generator seed")
    p.add_argument("--reps", type=int, help="repetitions of each /brief and /search figure")
    p.add_argument("--out", type=Path, help="results file (default bench/results.json)")
    args = p.parse_args(argv)
    config = QUICK if args.quick else Config()
    if args.quick and args.out is None:
        config = replace(config, out=config.workdir / "results-quick.json")
    changes: dict[str, Any] = {
        k: v
        for k, v in {
            "developments": args.developments,
            "servers": args.servers,
            "seed": args.seed,
            "out": args.out,
        }.items()
        if v is not None
    }
    if args.reps:
        changes |= {"brief_reps": args.reps, "search_reps": args.reps}
    config = replace(config, **changes)
    results = run(config)
    print()
    print(report(results))
    return 0 if all(t["pass"] for t in results["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
