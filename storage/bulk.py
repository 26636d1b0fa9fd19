"""Bulk reads and writes for export and import: batched statements, one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.models import Assessment, Audit, DevelopmentDraft
from bot.domain.scope import scope_columns
from bot.domain.topics import topics_for
from storage.assessments import insert_assessment
from storage.catalogue import _fts_sources_text, draft_columns
from storage.cjk_search import cjk_put_many
from storage.database import Database, Row, Writer


@dataclass
class DevelopmentRecord:
    """A development as import/export carries it: content, identity, audit, revisions."""

    draft: DevelopmentDraft
    audit: Audit
    id: int | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)


async def export_rows(db: Database) -> tuple[list[Row], list[Row], list[Row]]:
    """Every development, source and revision row, in id order."""
    devs = await db.fetchall("SELECT * FROM developments ORDER BY id")
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


async def insert_records(
    w: Writer,
    records: Sequence[DevelopmentRecord],
    assessments: Sequence[tuple[Assessment, str | None]],
    datasets: Sequence[tuple[str, str]],
) -> None:
    """Insert validated records with batched statements (ids must be assigned)."""
    dev_rows, source_rows, topic_rows, revision_rows, fts_rows = [], [], [], [], []
    for r in records:
        assert r.id is not None
        cols = draft_columns(r.draft)
        dev_rows.append(
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
            )
        )
        source_rows += [
            (r.id, pos, s.title, s.publisher, s.url, s.published_on, s.accessed_on)
            for pos, s in enumerate(r.draft.sources, start=1)
        ]
        topic_rows += [
            (t, cols["occurred_on"], r.id) for t in topics_for(r.draft.countries, r.draft.domain)
        ]
        revision_rows += [
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
        if r.audit.status == "published":
            fts_rows.append(
                (
                    r.id,
                    r.draft.title,
                    r.draft.summary,
                    " ".join(r.draft.tags),
                    _fts_sources_text(r.draft.sources),
                )
            )
    names = ", ".join(["id", *draft_columns(records[0].draft)]) if records else ""
    if records:
        await w.executemany(
            f"INSERT INTO developments ({names}, platform, guild_id, status, retraction_reason, created_by, "
            "created_at, updated_by, updated_at, seed_key) VALUES "
            f"({', '.join('?' * len(dev_rows[0]))})",
            dev_rows,
        )
    await w.executemany(
        "INSERT INTO sources (development_id, position, title, publisher, url, published_on, "
        "accessed_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
        source_rows,
    )
    await w.executemany(
        "INSERT INTO development_topics (topic, occurred_on, development_id) VALUES (?, ?, ?)",
        topic_rows,
    )
    await w.executemany(
        "INSERT INTO revisions (development_id, number, action, actor, at, changes, snapshot) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        revision_rows,
    )
    await w.executemany(
        "INSERT INTO developments_fts (rowid, title, summary, tags, sources) VALUES (?, ?, ?, ?, ?)",
        fts_rows,
    )
    await cjk_put_many(w, fts_rows)
    for assessment, seed_key in assessments:
        await insert_assessment(w, assessment, seed_key=seed_key)
    await w.executemany(
        "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?) "
        "ON CONFLICT (dataset) DO NOTHING",
        datasets,
    )
