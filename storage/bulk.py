"""Bulk reads and writes for export and import.

An import is written in short transactions of IMPORT_BATCH developments under an import id
(`developments.import_id`); while its `imports.visible_at` is NULL no read shows them. One
short final transaction sets `visible_at` (one row: the developments appear together) and
adds the assessments; when the import fails its rows are deleted batch by batch, and an
import whose process died is discarded by the next import.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast

from bot.domain.models import Assessment, Audit, DevelopmentDraft
from bot.domain.scope import scope_columns, scope_key
from storage.assessments import insert_assessment
from storage.catalogue import NOT_PENDING, _fts_sources_text, _topics_of, draft_columns
from storage.sqlite.cjk_search import CJK_INSERT, has_cjk
from storage.sqlite.database import Database, Row, Writer

log = logging.getLogger(__name__)

IMPORT_BATCH = 1000  # developments per write transaction (~0.1 s of lock each, ~0.4 s loaded)
DISCARD_BATCH = 2000
IMPORT_CACHE_KIB = 65536  # page cache of the importing connection while it writes
# An assessment's created_at left for the final transaction to fill with the moment it
# becomes visible (digest windows read created_at).
STAMP_AT_FLIP = ""


@dataclass
class DevelopmentRecord:
    """A development as import/export carries it: content, identity, audit, revisions."""

    draft: DevelopmentDraft
    audit: Audit
    id: int | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)


async def export_rows(db: Database) -> tuple[list[Row], list[Row], list[Row]]:
    """Every development, source and revision row, in id order."""
    devs = await db.fetchall(f"SELECT * FROM developments d WHERE {NOT_PENDING} ORDER BY id")
    sources = await db.fetchall("SELECT * FROM sources ORDER BY development_id, position")
    revisions = await db.fetchall("SELECT * FROM revisions ORDER BY development_id, number")
    return devs, sources, revisions


async def loaded_datasets(db: Database) -> list[tuple[str, str]]:
    """(dataset, loaded_at) of every bundled dataset already loaded, by name in code point
    order. Sorted here, not by ORDER BY: PostgreSQL orders text by the database's collation
    (`en_US` puts `starter_a` before `starter-b`), SQLite by code point, and `briefbot
    export` of both must be identical."""
    rows = await db.fetchall("SELECT dataset, loaded_at FROM dataset_loads")
    return sorted((r[0], r[1]) for r in rows)


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


def record_rows(
    records: Sequence[DevelopmentRecord],
    import_id: int | None,
    import_revision_at: str | None = None,
) -> dict[str, list[Any]]:
    """The rows of each table for `records` (ids assigned), ready for `write_rows`. With
    `import_revision_at` (and an import), each record without revisions gets its first
    ("import", a snapshot of what was imported, as `catalogue.snapshot_of` records it)."""
    rows: dict[str, list[Any]] = {
        k: [] for k in ("columns", "dev", "source", "topic", "revision", "fts", "cjk")
    }
    stamp_import = import_revision_at is not None and import_id is not None
    for r in records:
        assert r.id is not None
        cols = draft_columns(r.draft)
        rows["columns"] = list(cols)
        rows["dev"].append(
            (
                r.id,
                *cols.values(),
                *scope_columns(r.audit.scope),
                r.audit.status,
                r.audit.retraction_reason,
                r.audit.created_by,
                r.audit.created_at,
                r.audit.updated_by,
                r.audit.updated_at,
                r.audit.seed_key,
                import_id,
            )
        )
        rows["source"] += [
            (r.id, pos, s.title, s.publisher, s.url, s.published_on, s.accessed_on)
            for pos, s in enumerate(r.draft.sources, start=1)
        ]
        rows["topic"] += [
            (t, cols["occurred_on"], r.id) for t in _topics_of(cols["countries"], r.draft.domain)
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
        if stamp_import and not r.revisions:
            # Encoded here, in the import's helper process, not by SQLite in the writer:
            # the writer is the import's bottleneck (json_object per row was a fifth of it).
            rows["revision"].append(
                (r.id, 1, "import", r.audit.created_by, import_revision_at, "{}",
                 json.dumps(_import_snapshot(r)))
            )  # fmt: skip
        if r.audit.status == "published":
            fts = (
                r.id,
                r.draft.title,
                r.draft.summary,
                " ".join(r.draft.tags),
                _fts_sources_text(r.draft.sources),
            )
            rows["fts"].append(fts)
            if has_cjk(*fts[1:]):
                rows["cjk"].append(fts)
    return rows


def _import_snapshot(r: DevelopmentRecord) -> dict[str, Any]:
    # `catalogue.snapshot_of` of the development the record becomes.
    return r.draft.to_dict() | {
        "status": r.audit.status,
        "retraction_reason": r.audit.retraction_reason,
        "scope": scope_key(r.audit.scope),
    }


def _dev_insert(content_columns: Sequence[str]) -> str:
    names = [
        "id",
        *content_columns,
        *("platform", "guild_id", "status", "retraction_reason", "created_by", "created_at"),
        *("updated_by", "updated_at", "seed_key", "import_id"),
    ]
    return f"INSERT INTO developments ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


async def _insert_rows(w: Writer, rows: dict[str, list[Any]]) -> None:
    if not rows["dev"]:
        return
    await w.executemany(_dev_insert(rows["columns"]), rows["dev"])
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
    # Hidden with the rows until the import is visible.
    await w.executemany(CJK_INSERT, rows["cjk"])


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


class StagedImport:
    """One import being written: `begin`, `write` batches as they are ready, then `finish`
    (all become visible) or `discard` (all deleted). Other writers go between batches."""

    def __init__(
        self, db: Database, import_id: int, next_free: int, reserved: int, stats: WriteStats
    ) -> None:
        self.db = db
        self.import_id = import_id
        self.next_free = next_free  # the next id for a record that has none
        self.reserved = reserved  # the highest id of the import (0: none)
        self.stats = stats
        self._pragmas: contextlib.AbstractAsyncContextManager[None] | None = None

    @classmethod
    async def begin(
        cls,
        db: Database,
        *,
        started_at: str,
        new_records: int,
        highest_given_id: int,
        stats: WriteStats | None = None,
    ) -> StagedImport:
        """Start an import of `new_records` records without an id (and others with ids up
        to `highest_given_id`): the ids it will use are reserved at once, by a hidden
        placeholder at the highest, so a development added meanwhile takes an id above."""
        if db.dialect == "postgresql":  # type: ignore[comparison-overlap]
            # PostgreSQL writes with COPY (storage/postgres/bulk.py), same semantics.
            from storage.postgres.bulk import PostgresStagedImport

            return await PostgresStagedImport.begin_on(
                cast(Any, db),
                started_at=started_at,
                new_records=new_records,
                highest_given_id=highest_given_id,
                stats=stats,
            )
        stats = stats if stats is not None else WriteStats()
        await discard_abandoned_imports(db)
        pragmas = _bulk_pragmas(db)
        await pragmas.__aenter__()
        try:
            async with _timed_transaction(db, stats) as w:
                import_id = await w.execute(
                    "INSERT INTO imports (pid, host, started_at) VALUES (?, ?, ?)",
                    (os.getpid(), socket.gethostname(), started_at),
                )
                next_free = max(await next_id(w), highest_given_id + 1)
                highest = max(highest_given_id, next_free + new_records - 1)
                if highest >= next_free:
                    await w.execute(_PLACEHOLDER, (highest, import_id))
                else:
                    highest = 0
        except BaseException:
            await pragmas.__aexit__(None, None, None)
            raise
        staged = cls(db, import_id, next_free, highest, stats)
        staged._pragmas = pragmas
        return staged

    async def write_rows(self, rows: dict[str, list[Any]]) -> None:
        """Write one batch of `record_rows` (of this import), hidden, in one transaction."""
        holds_reserved = any(row[0] == self.reserved for row in rows["dev"])
        async with _timed_transaction(self.db, self.stats) as w:
            if holds_reserved:  # the placeholder makes way for the record with its id
                await w.execute(
                    "DELETE FROM developments WHERE id = ? AND import_id = ? AND title = ''",
                    (self.reserved, self.import_id),
                )
            await _insert_rows(w, rows)

    async def finish(
        self,
        assessments: Sequence[tuple[Assessment, str | None]],
        datasets: Sequence[tuple[str, str]],
        visible_at: Any,
    ) -> None:
        """One short transaction: every row becomes visible at `visible_at()` (called then),
        and the assessments (created_at STAMP_AT_FLIP becomes that moment) and datasets
        are added."""
        final_from = time.perf_counter()
        async with _timed_transaction(self.db, self.stats) as w:
            await w.execute(
                "DELETE FROM developments WHERE id = ? AND import_id = ? AND title = ''",
                (self.reserved, self.import_id),
            )  # a placeholder left over (the file had fewer records than announced)
            at = str(visible_at())
            await _make_visible(w, self.import_id, at)
            await _insert_rest(w, assessments, datasets, at)
        self.stats.final_hold_s = time.perf_counter() - final_from
        await self._restore()

    async def discard(self) -> None:
        """Delete every row written so far (in short transactions)."""
        try:
            await discard_import(self.db, self.import_id)
        finally:
            await self._restore()

    async def _restore(self) -> None:
        if self._pragmas is not None:
            pragmas, self._pragmas = self._pragmas, None
            await pragmas.__aexit__(None, None, None)


# A hidden row holding the highest id of an import until its record is written.
_PLACEHOLDER = (
    "INSERT INTO developments (id, kind, title, summary, occurred_on, date_precision, "
    "countries, domain, importance, created_by, created_at, updated_by, updated_at, "
    "import_id) VALUES (?, 'event', '', '', '', 'day', '', 'security', 1, '', '', '', '', ?)"
)


@asynccontextmanager
async def _bulk_pragmas(db: Database) -> AsyncIterator[None]:
    """For the import's connection: a page cache that holds the indexes being filled, and
    no WAL checkpoint after every batch (one at the end instead, which does not take the
    write lock): each checkpoint copies and syncs the batch again."""
    cache = await db.scalar("PRAGMA cache_size")
    checkpoint = await db.scalar("PRAGMA wal_autocheckpoint")
    await db.fetchall(f"PRAGMA cache_size = {IMPORT_CACHE_KIB * -1}")
    await db.fetchall("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        await db.fetchall(f"PRAGMA cache_size = {int(cache)}")
        await db.fetchall(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")
        await db.fetchall("PRAGMA wal_checkpoint(PASSIVE)")


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
            await w.execute(f"DELETE FROM developments_cjk WHERE rowid IN ({marks})", ids)
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
