"""Queries for assessments: every one kept, the latest per (topic, scope) is current."""

from __future__ import annotations

import json
from typing import cast

from bot.core.models import Assessment, Source, Trend
from storage.database import Database, Row, Writer


def _to_assessment(row: Row) -> Assessment:
    return Assessment(
        id=row["id"],
        topic=row["topic"],
        guild_id=row["guild_id"],
        bottom_line=row["bottom_line"],
        trend=cast(Trend, row["trend"]),
        watch_next=tuple(json.loads(row["watch_next"])),
        author=row["author"],
        created_at=row["created_at"],
        sources=tuple(Source(**s) for s in json.loads(row["sources"])),
    )


async def insert_assessment(w: Writer, a: Assessment, *, seed_key: str | None = None) -> int:
    """Record a new assessment (it becomes the current one for its topic and scope)."""
    return await w.execute(
        "INSERT INTO assessments (topic, guild_id, bottom_line, trend, watch_next, author, "
        "created_at, seed_key, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            a.topic,
            a.guild_id,
            a.bottom_line,
            a.trend,
            json.dumps(list(a.watch_next)),
            a.author,
            a.created_at,
            seed_key,
            json.dumps([s.to_dict() for s in a.sources]),
        ),
    )


async def current_assessment(db: Database, topic: str, guild_id: int | None) -> Assessment | None:
    """The server's own current assessment of a topic, else the global one."""
    row = await db.fetchone(
        "SELECT * FROM assessments WHERE topic = ? AND (guild_id = ? OR guild_id IS NULL) "
        "ORDER BY guild_id IS NULL, id DESC LIMIT 1",
        (topic, guild_id),
    )
    return None if row is None else _to_assessment(row)


async def assessment_history(db: Database, topic: str, guild_id: int | None) -> list[Assessment]:
    """Every assessment of a topic in one scope, newest first."""
    rows = await db.fetchall(
        "SELECT * FROM assessments WHERE topic = ? AND guild_id IS ? ORDER BY id DESC",
        (topic, guild_id),
    )
    return [_to_assessment(r) for r in rows]


async def all_assessments(db: Database) -> list[tuple[Assessment, str | None]]:
    """Every assessment in every scope with its seed key, oldest first (for export)."""
    rows = await db.fetchall("SELECT * FROM assessments ORDER BY id")
    return [(_to_assessment(r), r["seed_key"]) for r in rows]


async def changed_assessments(
    db: Database, topics: list[str], guild_id: int | None, start: str, end: str
) -> list[Assessment]:
    """Assessments of `topics` set in [start, end), visible to a server, newest first."""
    marks = ",".join("?" * len(topics))
    rows = await db.fetchall(
        f"SELECT * FROM assessments WHERE topic IN ({marks}) AND created_at >= ? "
        "AND created_at < ? AND (guild_id IS NULL OR guild_id = ?) ORDER BY id DESC",
        [*topics, start, end, guild_id],
    )
    return [_to_assessment(r) for r in rows]
