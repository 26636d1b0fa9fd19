"""The figures: each a set of timed repetitions on the same generated database."""

from __future__ import annotations

import json
import os
import py_compile
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, cast

from bench.generate import Catalogue
from bot.core import lookup, transfer
from bot.core.briefs import PERIODS, compose_brief
from bot.core.dataset import load_starter
from bot.core.rendering import Renderer
from bot.core.topics import all_topics
from bot.domain.clock import Clock
from bot.domain.scope import Scope
from storage.bulk import WriteStats
from storage.contract import Db
from storage.sqlite.database import Database

BRIEF_BLOCKS = ("title", "description", "footer")


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Timing:
    """Repeated measurements of one operation, in milliseconds."""

    samples_ms: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples_ms.append(seconds * 1000)

    def summary(self) -> dict[str, float | int]:
        s = self.samples_ms
        return {
            "median_ms": round(statistics.median(s), 4),
            "p99_ms": round(percentile(s, 0.99), 4),
            "mean_ms": round(statistics.fmean(s), 4),
            "max_ms": round(max(s), 4),
            "n": len(s),
        }


def fixed_clock(day: date) -> Clock:
    """A clock stopped at noon UTC of `day` (briefs are composed on the catalogue's today)."""
    moment = datetime.combine(day, dtime(12, 0), tzinfo=UTC)
    return lambda: moment


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- import and export -------------------------------------------------------------------


async def import_catalogue(path: Path, cat: Catalogue) -> dict[str, Any]:
    """Import the generated document into a new database; the import rate."""
    remove_database(path)
    db = await Database.open(path)
    try:
        rows = cat.stats["developments"] + cat.stats["sources"]
        stats = WriteStats()
        started = time.perf_counter()
        await transfer.import_data(db, cat.document, clock=fixed_clock(cat.anchor), stats=stats)
        seconds = time.perf_counter() - started
        # The bundled starter dataset too, so a CLI run on this database only reads.
        await load_starter(db, fixed_clock(cat.anchor))
    finally:
        await db.close()
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds),
        # How long another writer (the running bot) could have had to wait at most.
        "longest_lock_hold_ms": round(stats.longest_hold_s * 1000, 1),
        "final_transaction_ms": round(stats.final_hold_s * 1000, 1),
        "write_transactions": stats.transactions,
        "lock_held_s": round(stats.total_hold_s, 3),
    }


async def export_catalogue(db: Database) -> dict[str, Any]:
    """Export the whole catalogue to a JSON-ready document; the export rate."""
    started = time.perf_counter()
    doc = await transfer.export_data(db)
    seconds = time.perf_counter() - started
    rows = len(doc["developments"]) + sum(len(d["sources"]) for d in doc["developments"])
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


# --- /brief ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefRequest:
    topic: str
    period: str
    guild_id: int | None

    @property
    def scope(self) -> Scope | None:
        """The server asked from; None in a direct message."""
        return None if self.guild_id is None else Scope.discord(self.guild_id)


def brief_requests(cat: Catalogue, n: int, seed: int) -> list[BriefRequest]:
    """A mix of topics, periods and servers: DMs, servers with and without their own rows."""
    rng = random.Random(seed)
    topics = [t.slug for t in all_topics()]
    periods = list(PERIODS)
    requests = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.1 or not cat.guild_ids:
            guild = None  # a direct message: the global catalogue only
        elif roll < 0.2:
            guild = rng.randrange(10**17, 10**18)  # a server with nothing of its own
        else:
            guild = rng.choice(cat.guild_ids)
        requests.append(BriefRequest(rng.choice(topics), rng.choice(periods), guild))
    return requests


class _RecordingDatabase:
    """Passes reads to a Database and remembers each statement (to replay as bare SQL)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.statements: list[tuple[str, list[Any]]] = []

    @property
    def dialect(self) -> Any:
        """The recorded database's (queries branch on it)."""
        return self.db.dialect

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Any]:
        self.statements.append((sql, list(params)))
        return await self.db.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self.statements.append((sql, list(params)))
        return await self.db.fetchone(sql, params)

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


async def brief_sql(db: Db, req: BriefRequest, clock: Clock) -> list[tuple[str, list[Any]]]:
    """Every statement `compose_brief` runs for this request: the rows of the topic (the
    query of `storage.catalogue.select_topic`), their sources and the assessment."""
    recorder = _RecordingDatabase(db)
    await compose_brief(cast(Db, recorder), req.topic, req.scope, period=req.period, clock=clock)
    return recorder.statements


def open_bare(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the bot's read pragmas."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


# Replays one request's recorded statements on a bare connection of the backend.
BareReplay = Callable[[list[tuple[str, list[Any]]]], Awaitable[None]]


async def brief_figures(
    db: Database, path: Path, cat: Catalogue, reps: int, seed: int
) -> dict[str, Any]:
    """`/brief` work (compose + Discord rendering) against the bare SQL of the same rows."""
    bare = open_bare(path)

    async def replay(statements: list[tuple[str, list[Any]]]) -> None:
        for text, params in statements:
            bare.execute(text, params).fetchall()

    try:
        return await brief_work_figures(db, cat, reps, seed, replay)
    finally:
        bare.close()


async def brief_work_figures(
    db: Db, cat: Catalogue, reps: int, seed: int, replay: BareReplay
) -> dict[str, Any]:
    """`brief_figures` on either backend: `replay` runs the recorded statements bare (plain
    `sqlite3`, or one asyncpg connection)."""
    renderer = Renderer("discord")
    clock = fixed_clock(cat.anchor)
    requests = brief_requests(cat, reps, seed)
    work, sql = Timing(), Timing()
    chars = 0
    for warm in requests[:10]:  # template compilation and page cache, outside the figures
        brief = await compose_brief(db, warm.topic, warm.scope, period=warm.period, clock=clock)
        for b in BRIEF_BLOCKS:  # compiling brief.j2 took ~15 ms of the first request
            renderer.render_block("brief.j2", b, brief=brief)
    for req in requests:
        statements = await brief_sql(db, req, clock)
        started = time.perf_counter()
        await replay(statements)
        sql.add(time.perf_counter() - started)

        started = time.perf_counter()
        brief = await compose_brief(db, req.topic, req.scope, period=req.period, clock=clock)
        parts = [renderer.render_block("brief.j2", b, brief=brief) for b in BRIEF_BLOCKS]
        work.add(time.perf_counter() - started)
        chars += sum(map(len, parts))
    w, s = work.summary(), sql.summary()
    return {
        "brief_work": w,
        "brief_sql_bare": s,
        "brief_ratio": {
            "median": round(float(w["median_ms"]) / float(s["median_ms"]), 2),
            "p99": round(float(w["p99_ms"]) / float(s["p99_ms"]), 2),
        },
        "brief_chars_mean": round(chars / len(requests)),
    }


# --- /search -----------------------------------------------------------------------------


def search_queries(cat: Catalogue) -> dict[str, list[str]]:
    """Common words, rare words and two-word queries from the catalogue's vocabulary."""
    v = cat.vocabulary
    common, middle, rare = v.common(5), v.middle(5), v.rare(5)
    return {
        "common": common,
        "rare": rare,
        "two_words": [
            f"{common[0]} {common[1]}",
            f"{common[2]} {middle[0]}",
            f"{middle[1]} {middle[2]}",
            f"{middle[3]} {rare[0]}",
            f"{common[3]} {rare[1]}",
        ],
    }


async def search_figures(
    db: Db,
    cat: Catalogue,
    reps: int,
    seed: int,
    queries: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """`bot.core.lookup.search` over the whole catalogue, per kind of query (by default
    `search_queries`)."""
    rng = random.Random(seed)
    result: dict[str, Any] = {}
    hits: dict[str, float] = {}
    kinds = search_queries(cat) if queries is None else queries
    for kind, texts in kinds.items():
        timing = Timing()
        found = 0
        await lookup.search(db, texts[0], None)  # warm
        for i in range(reps):
            text = texts[i % len(texts)]
            guild = rng.choice(cat.guild_ids) if cat.guild_ids and rng.random() < 0.9 else None
            started = time.perf_counter()
            results = await lookup.search(db, text, None if guild is None else Scope.discord(guild))
            timing.add(time.perf_counter() - started)
            found += len(results.hits)
        result[f"search_{kind}"] = timing.summary()
        hits[kind] = round(found / reps, 1)
    result["search_queries"] = kinds
    result["search_hits_mean"] = hits
    return result


# --- whole processes ---------------------------------------------------------------------


def briefbot_command() -> list[str]:
    """The installed console script next to this interpreter (else `python -m bot`)."""
    script = Path(sys.executable).parent / "briefbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def compile_bytecode() -> int:
    """Compile the project's modules as installing it does (pip compiles a package's modules
    when it installs them); returns how many files were compiled or checked.

    This checkout is installed in editable mode, which compiles nothing, and the bench
    machine sets PYTHONDONTWRITEBYTECODE=1, so without this every cold run compiled every
    module of the bot it imported (~40 ms of ~150): a cost no installed bot pays after its
    first run.
    """
    root = Path(__file__).resolve().parent.parent
    files = 0
    for package in ("bot", "storage"):
        for source in (root / package).rglob("*.py"):
            py_compile.compile(str(source), doraise=True)
            files += 1
    return files


def cli_cold(path: Path, runs: int, workdir: Path) -> dict[str, Any]:
    """`briefbot brief japan-korea` as a new process each time, on the bench database
    (with the project's modules compiled, as an installed bot's are)."""
    compiled = compile_bytecode()
    env = os.environ | {"DATABASE_PATH": str(path.resolve()), "LOG_LEVEL": "WARNING"}
    command = [*briefbot_command(), "brief", "japan-korea"]
    timing = Timing()
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True)
        timing.add(time.perf_counter() - started)
        if done.returncode != 0 or "Japan" not in done.stdout:
            raise RuntimeError(f"briefbot brief failed ({done.returncode}): {done.stderr[-500:]}")
    return {
        "cli_brief_cold": timing.summary()
        | {"command": " ".join(command[-3:]), "modules_compiled": compiled}
    }


def peak_rss(path: Path, cat: Catalogue, briefs: int, searches: int) -> dict[str, Any]:
    """Peak RSS of a separate process that opens the catalogue and serves requests."""
    command = [
        sys.executable,
        "-m",
        "bench.probe",
        str(path),
        "--briefs",
        str(briefs),
        "--searches",
        str(searches),
        "--anchor",
        cat.anchor.isoformat(),
        "--words",
        ",".join(w for texts in search_queries(cat).values() for w in texts),
        "--guilds",
        ",".join(map(str, cat.guild_ids[:50])),
    ]
    root = Path(__file__).resolve().parent.parent
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed: {done.stderr[-800:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"peak_rss": report}
