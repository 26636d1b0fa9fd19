"""Staged imports on PostgreSQL: SQLite's semantics (`storage.bulk`), PostgreSQL's speed.

The same import id, the same rows (`storage.bulk.record_rows`, prepared by `bot.core.transfer`),
the same rule that nothing of an import shows until one final transaction sets its
`imports.visible_at`, that a failure deletes its rows and that an import whose process died is
discarded by the next. What differs:

- rows go in with `COPY` (asyncpg's `copy_records_to_table`), a batch per transaction, and the
  search columns (`development_search`) are filled in bulk with COPY's text format (its
  binary format has no encoder for `tsvector`): from the second batch on they are made in a
  helper process and written on a second connection, outside the writer lock, while the
  next batch is written;
- where the role may (a superuser, or one granted `SET ON PARAMETER
  session_replication_role`), a batch's foreign keys are proven once in Python (every child
  row belongs to a development of the same batch) instead of by a trigger per row, which
  costs five times the COPY itself;
- ids are reserved by moving the `developments` identity past the import's highest id (on
  SQLite a hidden placeholder row at that id does it): a development the bot adds meanwhile
  takes an id above the import's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, cast

import asyncpg

from bot.domain.errors import InvalidInput
from bot.domain.models import Assessment
from storage import bulk
from storage.postgres.database import PostgresDatabase, PostgresWriter
from storage.postgres.search import bigrams, document
from storage.postgres.statistics import IMPORTED_TABLES, analyze

log = logging.getLogger(__name__)

_SOURCE_COLUMNS = (
    "development_id",
    "position",
    "title",
    "publisher",
    "url",
    "published_on",
    "accessed_on",
)
_TOPIC_COLUMNS = ("topic", "occurred_on", "development_id")
_REVISION_COLUMNS = ("development_id", "number", "action", "actor", "at", "changes", "snapshot")
_DEV_TAIL = (
    *("platform", "guild_id", "status", "retraction_reason", "created_by", "created_at"),
    *("updated_by", "updated_at", "seed_key", "import_id"),
)
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal sent to this process when its parent dies
_ID_SEQUENCE = "pg_get_serial_sequence('developments', 'id')"


def _conflict(exc: asyncpg.IntegrityConstraintViolationError) -> InvalidInput:
    # The SQLite path turns sqlite3.IntegrityError into this same answer in bot.core.transfer.
    return InvalidInput(
        "file", f"contains conflicting records ({exc.message}); nothing was imported"
    )


def _copy_escaped(text: str) -> str:
    # COPY's text format: a backslash, tab, newline or carriage return is escaped.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _array_literal(items: Sequence[str]) -> str:
    return (
        "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"
    )


def search_copy_data(texts: Sequence[Sequence[Any]]) -> bytes:
    """The `development_search` rows of (id, title, summary, tags, sources) rows (the four
    texts SQLite's `developments_fts` gets), as COPY's text format: the server parses the
    tsvectors itself (COPY's binary format has no encoder for them). Pure work, made in a
    helper process during an import."""
    lines = []
    for row in texts:
        columns = row[1:5]
        lines.append(
            f"{int(row[0])}\t{_copy_escaped(document(columns))}\t"
            f"{_copy_escaped(_array_literal(bigrams(columns)))}\n"
        )
    return "".join(lines).encode()


async def copy_search_data(w: PostgresWriter, data: bytes) -> None:
    """Write `search_copy_data`'s rows into the search table."""
    if data:
        await w.copy_text("development_search", ("development_id", "document", "bigrams"), data)


def _children_in_batch(rows: dict[str, list[Any]]) -> bool:
    """Whether every source, topic, revision and search row of the batch belongs to a
    development of the same batch (as `record_rows` builds them): their foreign keys then
    hold by construction, proven here once for the batch."""
    ids = {row[0] for row in rows["dev"]}
    return (
        all(row[0] in ids for row in rows["source"])
        and all(row[2] in ids for row in rows["topic"])
        and all(row[0] in ids for row in rows["revision"])
        and all(row[0] in ids for row in rows["fts"])
    )


async def _copy_rows(w: PostgresWriter, rows: dict[str, list[Any]]) -> None:
    await w.copy_records("developments", ("id", *rows["columns"], *_DEV_TAIL), rows["dev"])
    await w.copy_records("sources", _SOURCE_COLUMNS, rows["source"])
    await w.copy_records("development_topics", _TOPIC_COLUMNS, rows["topic"])
    # With each record's first ("import") revision, encoded by `record_rows`.
    await w.copy_records("revisions", _REVISION_COLUMNS, rows["revision"])


class PostgresStagedImport(bulk.StagedImport):
    """`storage.bulk.StagedImport` on PostgreSQL (see the module's docstring)."""

    def __init__(
        self,
        db: PostgresDatabase,
        import_id: int,
        next_free: int,
        reserved: int,
        stats: bulk.WriteStats,
    ) -> None:
        # The base class is typed for SQLite; only this class's own methods use `db`.
        super().__init__(cast(Any, db), import_id, next_free, reserved, stats)
        self.pg = db
        self._batches = 0
        self._helper: ProcessPoolExecutor | None = None
        # The last batch's search rows, being made by the helper and then written.
        self._search_rows: asyncio.Task[None] | None = None
        self.skip_row_checks = False

    @classmethod
    async def begin_on(
        cls,
        db: PostgresDatabase,
        *,
        started_at: str,
        new_records: int,
        highest_given_id: int,
        stats: bulk.WriteStats | None = None,
    ) -> PostgresStagedImport:
        """Start an import (as `StagedImport.begin`): the ids it will use are reserved at
        once by moving the identity past them."""
        stats = stats if stats is not None else bulk.WriteStats()
        await discard_abandoned_imports(db)
        held_from = time.perf_counter()
        async with db.transaction() as w:
            import_id = await w.execute(
                "INSERT INTO imports (pid, host, started_at) VALUES (?, ?, ?) RETURNING id",
                (os.getpid(), socket.gethostname(), started_at),
            )
            # Under the writer lock no other transaction takes an id meanwhile: the value
            # taken here is given back when the import needs no new id.
            row = await w.fetchone(
                f"SELECT nextval({_ID_SEQUENCE}), COALESCE(MAX(id), 0) + 1 FROM developments"
            )
            assert row is not None
            taken = int(row[0])
            next_free = max(taken, int(row[1]), highest_given_id + 1)
            highest = max(highest_given_id, next_free + new_records - 1)
            if highest >= next_free:
                await w.execute(f"SELECT setval({_ID_SEQUENCE}, ?)", (highest,))
            else:
                await w.execute(f"SELECT setval({_ID_SEQUENCE}, ?, false)", (taken,))
                highest = 0
        _held(stats, held_from)
        staged = cls(db, import_id, next_free, highest, stats)
        staged.skip_row_checks = await may_skip_row_checks(db)
        return staged

    async def write_rows(self, rows: dict[str, list[Any]]) -> None:
        """Write one batch of `record_rows` (of this import), hidden, in one transaction.
        From the second batch on, the batch's search documents are made in a helper process
        and written by a transaction of their own on a second connection, while the next
        batch is made and written: the search rows (their text parsed into tsvectors and
        two GIN indexes) cost the server twice what the batch's other rows do, and writing
        them in the batches' own transactions left one core idle."""
        if not rows["dev"]:
            return
        self._batches += 1
        proven = self.skip_row_checks and _children_in_batch(rows)
        made: bytes | None = None
        documents: asyncio.Future[bytes] | None = None
        if self._batches > 1 and rows["fts"] and _can_fork():
            if self._helper is None:
                self._helper = _start_helper()
            documents = asyncio.get_running_loop().run_in_executor(
                self._helper, search_copy_data, rows["fts"]
            )
        else:
            made = search_copy_data(rows["fts"])
        held_from = time.perf_counter()
        try:
            async with self.pg.transaction() as w:
                if proven:
                    # Foreign keys checked once for the batch above, not row by row (5× the
                    # time of a COPY); this batch writes no row that another trigger reads.
                    await w.execute("SET LOCAL session_replication_role = replica")
                await _copy_rows(w, rows)
                if made is not None:
                    # Hidden with their developments until the import is visible.
                    await copy_search_data(w, made)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _conflict(exc) from None
        finally:
            _held(self.stats, held_from)
        # One batch's search rows in flight at a time; a failure of the last surfaces here.
        await self._search_rows_written()
        if documents is not None:
            self._search_rows = asyncio.create_task(self._write_search_rows(documents, proven))

    async def _write_search_rows(self, documents: asyncio.Future[bytes], proven: bool) -> None:
        """A committed batch's search rows, once made, beside the writers: no other writer
        touches an unfinished import's rows, and their developments are already there."""
        data = await documents
        async with self.pg.unserialised_transaction() as w:
            if proven:
                await w.execute("SET LOCAL session_replication_role = replica")
            await copy_search_data(w, data)

    async def _search_rows_written(self) -> None:
        task, self._search_rows = self._search_rows, None
        if task is not None:
            await task

    async def _cancel_search_rows(self) -> None:
        task, self._search_rows = self._search_rows, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def finish(
        self,
        assessments: Sequence[tuple[Assessment, str | None]],
        datasets: Sequence[tuple[str, str]],
        visible_at: Any,
    ) -> None:
        """One short transaction: every row becomes visible at `visible_at()` (called then),
        and the assessments and datasets are added."""
        try:
            await self._search_rows_written()
        except BaseException:
            self._stop_helper()
            raise
        final_from = time.perf_counter()
        try:
            async with self.pg.transaction() as w:
                at = str(visible_at())
                await w.execute(
                    "UPDATE imports SET visible_at = ? WHERE id = ?", (at, self.import_id)
                )
                await bulk._insert_rest(cast(Any, w), assessments, datasets, at)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _conflict(exc) from None
        finally:
            _held(self.stats, final_from)
            self._stop_helper()
        self.stats.final_hold_s = time.perf_counter() - final_from
        # The bot reads the new rows at once: plans made from an empty table's statistics
        # (autovacuum's come a minute or more later) made its answers seconds long.
        await analyze(self.pg, IMPORTED_TABLES)

    async def discard(self) -> None:
        """Delete every row written so far (in short transactions)."""
        await self._cancel_search_rows()
        self._stop_helper()
        await discard_import(self.pg, self.import_id)

    def _stop_helper(self) -> None:
        if self._helper is not None:
            helper, self._helper = self._helper, None
            helper.shutdown(wait=False, cancel_futures=True)


async def may_skip_row_checks(db: PostgresDatabase) -> bool:
    """Whether this role may turn off the per-row foreign-key triggers of its own
    transaction (`session_replication_role`: a superuser, or on PostgreSQL 15+ a role
    granted `SET ON PARAMETER session_replication_role`)."""
    row = await db.fetchone(
        "SELECT current_setting('is_superuser') = 'on', "
        "current_setting('server_version_num')::int >= 150000"
    )
    if row is None:
        return False
    if row[0]:
        return True
    if not row[1]:
        return False
    return bool(
        await db.scalar(
            "SELECT has_parameter_privilege(current_user, 'session_replication_role', 'SET')"
        )
    )


def _can_fork() -> bool:
    return sys.platform.startswith("linux")


def _die_with(parent: int) -> None:
    """In the helper: exit when the importing process dies (`kill -9` of an import), as
    bot.core.offload's helper does; on Linux the kernel's parent-death signal does it."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
        os._exit(1)


def _start_helper() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with,
        initargs=(os.getpid(),),
    )


def _held(stats: bulk.WriteStats, held_from: float) -> None:
    held = time.perf_counter() - held_from
    stats.transactions += 1
    stats.total_hold_s += held
    stats.longest_hold_s = max(stats.longest_hold_s, held)


async def discard_import(db: PostgresDatabase, import_id: int) -> None:
    """Delete an unfinished import's rows (in short transactions), then the import. Sources,
    topics, revisions and search rows go with their development (ON DELETE CASCADE)."""
    while True:
        async with db.transaction() as w:
            changed = await w.execute_rowcount(
                "DELETE FROM developments WHERE id IN "
                "(SELECT id FROM developments WHERE import_id = ? LIMIT ?)",
                (import_id, bulk.DISCARD_BATCH),
            )
            if not changed:
                await w.execute("DELETE FROM imports WHERE id = ?", (import_id,))
                break
    log.info("discarded unfinished import id=%s", import_id)


async def discard_abandoned_imports(db: PostgresDatabase) -> list[int]:
    """Discard the imports left by a process of this host that no longer runs."""
    host = socket.gethostname()
    rows = await db.fetchall("SELECT id, pid, host FROM imports WHERE visible_at IS NULL")
    dead = [r[0] for r in rows if r[2] == host and not bulk._process_alive(r[1])]
    for import_id in dead:
        await discard_import(db, import_id)
    return dead
