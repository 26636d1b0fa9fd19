"""Bulk reads and writes for export and import.

An import is written in short transactions of IMPORT_BATCH developments under an import id
(`developments.import_id`); while its `imports.visible_at` is NULL no read shows them. One
short final transaction sets `visible_at` (one row: the developments appear together) and
adds the assessments; when the import fails its rows are deleted batch by batch, and an
import whose process died is discarded by the next import.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.models import Assessment, DevelopmentDraft
from bot.core.topics import topics_for
from storage.assessments import insert_assessment
from storage.catalogue import NOT_PENDING, _fts_sources_text, draft_columns
from storage.database import Database, Row, Writer

log = logging.getLogger(__name__)

IMPORT_BATCH = 2000  # developments per write transaction (~0.1-0.2 s of lock each)
DISCARD_BATCH = 2000
# An assessment's created_at left for the final transaction to fill with the moment it
# becomes visible (digest windows read created_at).
STAMP_AT_FLIP = ""


@dataclass
class DevelopmentRecord:
    """A development as import/export carries it: content, identity, audit, revisions."""

    draft: DevelopmentDraft
    id: int | None = None
    guild_id: int | None = None
    status: str = "published"
    retraction_reason: str | None = None
    created_by: str = "import"
    created_at: str = ""
    updated_by: str = "import"
    updated_at: str = ""
    seed_key: str | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)


async def export_rows(db: Database) -> tuple[list[Row], list[Row], list[Row]]:
    """Every development, source and revision row, in id order."""
    devs = await db.fetchall(f"SELECT * FROM developments d WHERE {NOT_PENDING} ORDER BY id")
    sources = await db.fetchall("SELECT * FROM sources ORDER BY development_id, position")
    revisions = await db.fetchall("SELECT * FROM revisions ORDER BY development_id, number")
    return devs, sources, revisions


async def loaded_datasets(db: Database) -> list[tuple[str, str]]:
    """(dataset, loaded_at) of every bundled dataset already loaded."""
    rows = await db.fetchall("SELECT dataset, loaded_at FROM dataset_loads ORDER BY dataset")
    return [(r[0], r[1]) for r in rows]


async def existing_ids(db: Database, ids: Sequence[int]) -> list[int]:
    """Which of `ids` are already taken."""
    taken: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(f"SELECT id FROM developments WHERE id IN ({marks})", chunk)
        taken += [r[0] for r in rows]
    return taken


async def existing_seed_keys(db: Database, keys: Sequence[str]) -> list[str]:
    """Which of `keys` are already present (developments or assessments)."""
    if not keys:
        return []
    found: list[str] = []
    for table in ("developments", "assessments"):
        rows = await db.fetchall(f"SELECT seed_key FROM {table} WHERE seed_key IS NOT NULL")
        found += [r[0] for r in rows if r[0] in set(keys)]
    return found


async def next_id(w: Writer) -> int:
    """The next free development id."""
    row = await w.fetchone("SELECT COALESCE(MAX(id), 0) + 1 FROM developments")
    return int(row[0]) if row else 1


def _record_rows(
    records: Sequence[DevelopmentRecord], import_id: int | None
) -> dict[str, list[Any]]:
    """The rows of each table for `records` (ids assigned)."""
    rows: dict[str, list[Any]] = {k: [] for k in ("dev", "source", "topic", "revision", "fts")}
    for r in records:
        assert r.id is not None
        cols = draft_columns(r.draft)
        rows["dev"].append(
            (
                r.id,
                *cols.values(),
                r.guild_id,
                r.status,
                r.retraction_reason,
                r.created_by,
                r.created_at,
                r.updated_by,
                r.updated_at,
                r.seed_key,
                import_id,
            )
        )
        rows["source"] += [
            (r.id, pos, s.title, s.publisher, s.url, s.published_on, s.accessed_on)
            for pos, s in enumerate(r.draft.sources, start=1)
        ]
        rows["topic"] += [
            (t, cols["occurred_on"], r.id) for t in topics_for(r.draft.countries, r.draft.domain)
        ]
        rows["revision"] += [
            (
                r.id,
                rev["number"],
                rev["action"],
                rev["actor"],
                rev["at"],
                json.dumps(rev["changes"]),
                json.dumps(rev["snapshot"]),
            )
            for rev in r.revisions
        ]
        if r.status == "published":
            rows["fts"].append(
                (
                    r.id,
                    r.draft.title,
                    r.draft.summary,
                    " ".join(r.draft.tags),
                    _fts_sources_text(r.draft.sources),
                )
            )
    return rows


async def _insert_developments(
    w: Writer, records: Sequence[DevelopmentRecord], import_id: int | None
) -> None:
    if not records:
        return
    rows = _record_rows(records, import_id)
    names = ", ".join(["id", *draft_columns(records[0].draft)])
    await w.executemany(
        f"INSERT INTO developments ({names}, guild_id, status, retraction_reason, created_by, "
        "created_at, updated_by, updated_at, seed_key, import_id) VALUES "
        f"({', '.join('?' * len(rows['dev'][0]))})",
        rows["dev"],
    )
    await w.executemany(
        "INSERT INTO sources (development_id, position, title, publisher, url, published_on, "
        "accessed_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows["source"],
    )
    await w.executemany(
        "INSERT INTO development_topics (topic, occurred_on, development_id) VALUES (?, ?, ?)",
        rows["topic"],
    )
    await w.executemany(
        "INSERT INTO revisions (development_id, number, action, actor, at, changes, snapshot) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows["revision"],
    )
    await w.executemany(
        "INSERT INTO developments_fts (rowid, title, summary, tags, sources) VALUES (?, ?, ?, ?, ?)",
        rows["fts"],
    )


async def _insert_rest(
    w: Writer,
    assessments: Sequence[tuple[Assessment, str | None]],
    datasets: Sequence[tuple[str, str]],
    at: str = "",
) -> None:
    for assessment, seed_key in assessments:
        if assessment.created_at == STAMP_AT_FLIP:
            assessment = replace(assessment, created_at=at)
        await insert_assessment(w, assessment, seed_key=seed_key)
    await w.executemany(
        "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?) "
        "ON CONFLICT (dataset) DO NOTHING",
        datasets,
    )


async def insert_records(
    w: Writer,
    records: Sequence[DevelopmentRecord],
    assessments: Sequence[tuple[Assessment, str | None]],
    datasets: Sequence[tuple[str, str]],
) -> None:
    """Insert validated records with batched statements in the caller's transaction (ids
    must be assigned); for a few records (a bundled dataset). Large imports use
    `write_import`."""
    await _insert_developments(w, records, None)
    await _insert_rest(w, assessments, datasets)


# --- staged import -----------------------------------------------------------------------


@dataclass
class WriteStats:
    """How an import held the write lock: its transactions and the longest of them."""

    transactions: int = 0
    longest_hold_s: float = 0.0
    total_hold_s: float = 0.0
    final_hold_s: float = 0.0


@asynccontextmanager
async def _timed_transaction(db: Database, stats: WriteStats) -> AsyncIterator[Writer]:
    """`db.transaction()`, timing how long the write lock is held (BEGIN to COMMIT)."""
    held_from = 0.0
    try:
        async with db.transaction() as w:
            held_from = time.perf_counter()
            yield w
    finally:
        if held_from:
            held = time.perf_counter() - held_from
            stats.transactions += 1
            stats.total_hold_s += held
            stats.longest_hold_s = max(stats.longest_hold_s, held)


async def write_import(
    db: Database,
    records: Sequence[DevelopmentRecord],
    assessments: Sequence[tuple[Assessment, str | None]],
    datasets: Sequence[tuple[str, str]],
    *,
    started_at: str,
    visible_at: Any,
    stats: WriteStats | None = None,
) -> None:
    """Write validated records (ids assigned) all or nothing, in batches of IMPORT_BATCH.

    Records without an id get the next free ones. Each batch is its own short transaction
    and its rows stay hidden; one final short transaction makes them all visible (records
    `visible_at()`, called then, which digest windows read) and adds the assessments (an
    assessment's created_at left as STAMP_AT_FLIP becomes that moment) and datasets.
    On any failure the rows written so far are deleted and the error raised.
    """
    stats = stats if stats is not None else WriteStats()
    await discard_abandoned_imports(db)
    async with _timed_transaction(db, stats) as w:
        import_id = await w.execute(
            "INSERT INTO imports (pid, host, started_at) VALUES (?, ?, ?)",
            (os.getpid(), socket.gethostname(), started_at),
        )
        # Ids are given, and the highest of them written, in one transaction: a development
        # added meanwhile takes an id above all of the import's.
        ordered = _assign_ids(list(records), await next_id(w))
        await _insert_developments(w, ordered[-1:], import_id)
    try:
        # The rest in ascending id order (SQLite's B-trees fill best when appended to).
        rest = ordered[:-1]
        for start in range(0, len(rest), IMPORT_BATCH):
            async with _timed_transaction(db, stats) as w:
                await _insert_developments(w, rest[start : start + IMPORT_BATCH], import_id)
        final_from = time.perf_counter()
        async with _timed_transaction(db, stats) as w:
            at = str(visible_at())
            await _make_visible(w, import_id, at)
            await _insert_rest(w, assessments, datasets, at)
        stats.final_hold_s = time.perf_counter() - final_from
    except BaseException:
        await discard_import(db, import_id)
        raise


def _assign_ids(records: list[DevelopmentRecord], next_free: int) -> list[DevelopmentRecord]:
    """Give records without an id the next free ones (above every id in the file); the
    result is ordered by id."""
    taken = [r.id for r in records if r.id is not None]
    next_free = max([next_free, *(i + 1 for i in taken)])
    for r in records:
        if r.id is None:
            r.id, next_free = next_free, next_free + 1
    return sorted(records, key=lambda r: r.id or 0)


async def _make_visible(w: Writer, import_id: int, at: str) -> None:
    await w.execute("UPDATE imports SET visible_at = ? WHERE id = ?", (at, import_id))


async def discard_import(db: Database, import_id: int) -> None:
    """Delete an unfinished import's rows (in short transactions), then the import."""
    while True:
        async with db.transaction() as w:
            ids = [
                r[0]
                for r in await w.fetchall(
                    "SELECT id FROM developments WHERE import_id = ? LIMIT ?",
                    (import_id, DISCARD_BATCH),
                )
            ]
            if not ids:
                await w.execute("DELETE FROM imports WHERE id = ?", (import_id,))
                break
            marks = ",".join("?" * len(ids))
            await w.execute(f"DELETE FROM developments_fts WHERE rowid IN ({marks})", ids)
            # Sources, topics and revisions go with their development (ON DELETE CASCADE).
            await w.execute(f"DELETE FROM developments WHERE id IN ({marks})", ids)
    log.info("discarded unfinished import id=%s", import_id)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


async def discard_abandoned_imports(db: Database) -> list[int]:
    """Discard the imports left by a process of this host that no longer runs."""
    host = socket.gethostname()
    rows = await db.fetchall("SELECT id, pid, host FROM imports WHERE visible_at IS NULL")
    dead = [r[0] for r in rows if r[2] == host and not _process_alive(r[1])]
    for import_id in dead:
        await discard_import(db, import_id)
    return dead
