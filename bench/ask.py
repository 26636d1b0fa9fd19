"""/ask figures: `python -m bench.ask [--developments N] [--reps R] [--distractors D]`.

1. Quality: the labelled set (tests/data/ask_questions.tsv) over the starter data mixed
   into D generated distractors (default 3,000): recall@3 and abstention per language, with
   the semantic extra too when it is installed.
2. Speed: the labelled questions asked R times each over the starter data plus N generated
   developments (default 100,000); the work of one /ask (reading the question, every storage
   query, scoring, the answer), p50 and p99 against the targets (50 ms default, 100 ms with
   embeddings). With the extra, each generated development gets a random int8 vector (the
   brute-force cost does not depend on what the vectors say; embedding 100k texts would take
   minutes) and every question is really embedded.
3. Memory: the process's peak RSS after the default figures, and after loading the encoder
   and the 100k vectors (the extra's cost). The large database is built in a child process
   and the speed figures come before the labelled set's, so that neither building it nor
   the labelled set's encoder counts in the default figure.

`--runs R` times R runs over one database and adds the medians of their figures. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.ask_quality import TODAY, build_catalogue, evaluate, fixed, read_questions
from bench.measure import Timing
from bot.core.ask.semantic import MODEL, SemanticIndex, quantise, semantic_available
from bot.core.ask.service import Asker
from bot.domain.errors import QueryTooBroad
from storage.sqlite.database import Database

TARGET_MS = {"default": 50.0, "semantic": 100.0}


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def quality(workdir: Path, distractors: int) -> dict[str, Any]:
    """The labelled set's figures, lexical and (when installed) with embeddings."""
    db = await build_catalogue(workdir / "labelled.sqlite3", distractors)
    out: dict[str, Any] = {}
    try:
        questions = read_questions()
        lexical = await evaluate(db, Asker(db, fixed(TODAY)), questions)
        out["default"] = lexical.lines()
        if semantic_available():
            index = SemanticIndex()
            await index.reindex(db)
            fused = await evaluate(db, Asker(db, fixed(TODAY), index), questions)
            out["semantic"] = fused.lines()
    finally:
        await db.close()
    return out


async def random_vectors(db: Database, count: int) -> None:
    """A random unit int8 vector for every development without one."""
    import numpy as np

    rng = np.random.default_rng(7)
    rows = await db.fetchall(
        "SELECT id FROM developments WHERE id NOT IN (SELECT development_id FROM "
        "development_vectors) LIMIT ?",
        (count,),
    )
    batch = []
    for row in rows:
        vector = rng.standard_normal(512).astype(np.float32)
        vector /= np.linalg.norm(vector)
        batch.append((row["id"], MODEL, *quantise(vector)))
    async with db.transaction() as w:
        await w.executemany(
            "INSERT INTO development_vectors (development_id, model, scale, vector, seq) "
            "VALUES (?, ?, ?, ?, ?)",
            [(*b, i + 1) for i, b in enumerate(batch)],
        )


async def timed(asker: Asker, questions: list[str], reps: int) -> dict[str, Any]:
    """p50/p99 of the work of one /ask."""
    timing = Timing()
    too_broad: list[str] = []

    async def ask(question: str) -> None:
        try:
            await asker.ask(question, None)
        except QueryTooBroad:
            # Stopped at the search budget: the reader is told so; the time counts.
            too_broad.append(question)

    for question in questions[:5]:  # warm the caches and, with the extra, the encoder
        await ask(question)
    for _ in range(reps):
        for question in questions:
            start = time.perf_counter()
            await ask(question)
            timing.add(time.perf_counter() - start)
    return timing.summary() | {"too_broad": too_broad}


def _build(path: Path, developments: int) -> None:
    async def build() -> None:
        db = await build_catalogue(path, developments, seed=20261125)
        await db.close()

    asyncio.run(build())


def build_large(path: Path, developments: int) -> None:
    """The starter data plus `developments` generated rows, built in a child process (the
    import's peak memory is not the bot's)."""
    child = multiprocessing.get_context("spawn").Process(target=_build, args=(path, developments))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the database failed (exit code {child.exitcode})")


async def speed(
    workdir: Path, developments: int, reps: int, reuse: Path | None = None
) -> dict[str, Any]:
    """Timings at `developments` generated rows, default and (when installed) semantic;
    `reuse` is a database an earlier run built, copied, not changed."""
    path = workdir / "large.sqlite3"
    if reuse is not None:
        shutil.copyfile(reuse, path)
    else:
        build_large(path, developments)
    db = await Database.open(path)
    questions = [q.question for q in read_questions()]
    out: dict[str, Any] = {"developments": developments + 12}
    try:
        out["default"] = await timed(Asker(db, fixed(TODAY)), questions, reps)
        out["default"]["target_p99_ms"] = TARGET_MS["default"]
        out["default"]["pass"] = out["default"]["p99_ms"] <= TARGET_MS["default"]
        out["rss_mb_default"] = peak_rss_mb()
        if semantic_available():
            index = SemanticIndex()
            await random_vectors(db, developments + 12)
            await index.refresh(db)
            out["semantic"] = await timed(Asker(db, fixed(TODAY), index), questions, reps)
            out["semantic"]["target_p99_ms"] = TARGET_MS["semantic"]
            out["semantic"]["pass"] = out["semantic"]["p99_ms"] <= TARGET_MS["semantic"]
            out["rss_mb_with_semantic"] = peak_rss_mb()
            out["rss_mb_semantic_extra"] = round(
                out["rss_mb_with_semantic"] - out["rss_mb_default"], 1
            )
    finally:
        await db.close()
    return out


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each timing of several runs."""
    out: dict[str, Any] = {}
    for kind in ("default", "semantic"):
        if kind in runs[0]:
            out[kind] = {
                key: round(statistics.median(r[kind][key] for r in runs), 2)
                for key in ("median_ms", "p99_ms")
            }
            out[kind]["pass"] = out[kind]["p99_ms"] <= TARGET_MS[kind]
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ask-") as tmp:
        workdir = Path(tmp)
        reuse = args.reuse
        runs = []
        for _ in range(args.runs):
            runs.append(await speed(workdir, args.developments, args.reps, reuse))
            if reuse is None and args.runs > 1:
                # The later runs time the same database (built once).
                reuse = workdir / "built.sqlite3"
                shutil.copyfile(workdir / "large.sqlite3", reuse)
        out: dict[str, Any] = {"speed": runs[0] if len(runs) == 1 else runs}
        if len(runs) > 1:
            out["speed_medians"] = medians(runs)
        # After the speed figures: the labelled set loads the encoder (the extra's memory).
        out["labelled_set"] = (
            None if args.skip_quality else await quality(workdir, args.distractors)
        )
        out["semantic_installed"] = semantic_available()
        return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m bench.ask")
    p.add_argument("--developments", type=int, default=100_000)
    p.add_argument("--distractors", type=int, default=3000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--runs", type=int, default=1, help="timed runs over one database")
    p.add_argument(
        "--reuse", type=Path, help="a database with the starter data and N generated rows"
    )
    p.add_argument("--skip-quality", action="store_true", help="only the speed figures")
    return p.parse_args(argv)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse())), indent=2, ensure_ascii=False))
