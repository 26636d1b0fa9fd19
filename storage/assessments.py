"""Queries for assessments: every one kept, the latest per (topic, scope) is current."""

from __future__ import annotations

import json
from typing import Any, cast

from bot.domain.models import Assessment, Source, Trend
from bot.domain.scope import Scope, scope_columns, scope_of
from storage.contract import Db, DbWriter, Row, is_sql
from storage.filters import changed_in_window, visible_params, visible_sql


def _to_assessment(row: Row) -> Assessment:
    return Assessment(
        id=row["id"],
        topic=row["topic"],
        scope=scope_of(row["platform"], row["guild_id"]),
        bottom_line=row["bottom_line"],
        trend=cast(Trend, row["trend"]),
        watch_next=tuple(json.loads(row["watch_next"])),
        author=row["author"],
        created_at=row["created_at"],
        sources=tuple(Source(**s) for s in json.loads(row["sources"])),
    )


async def insert_assessment(w: DbWriter, a: Assessment, *, seed_key: str | None = None) -> int:
    """Record a new assessment (it becomes the current one for its topic and scope)."""
    return await w.execute(
        "INSERT INTO assessments (topic, platform, guild_id, bottom_line, trend, watch_next, "
        "author, created_at, seed_key, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (
            a.topic,
            *scope_columns(a.scope),
            a.bottom_line,
            a.trend,
            json.dumps(list(a.watch_next)),
            a.author,
            a.created_at,
            seed_key,
            json.dumps([s.to_dict() for s in a.sources]),
        ),
    )


_VISIBLE = visible_sql()  # bound with `visible_params(scope)`


def current_assessment_query(topic: str, scope: Scope | None) -> tuple[str, tuple[Any, ...]]:
    """The statement of `current_assessment` (its row: `assessment_from_row`)."""
    return (
        f"SELECT * FROM assessments WHERE topic = ? AND {_VISIBLE} "
        "ORDER BY guild_id IS NULL, id DESC LIMIT 1",
        (topic, *visible_params(scope)),
    )


def assessment_from_row(row: Row) -> Assessment:
    """An assessment from a row of the assessments table."""
    return _to_assessment(row)


async def current_assessment(db: Db, topic: str, scope: Scope | None) -> Assessment | None:
    """The scope's own current assessment of a topic, else the global one."""
    row = await db.fetchone(*current_assessment_query(topic, scope))
    return None if row is None else _to_assessment(row)


async def assessment_history(db: Db, topic: str, scope: Scope | None) -> list[Assessment]:
    """Every assessment of a topic in one scope, newest first."""
    same = is_sql(db.dialect)
    rows = await db.fetchall(
        f"SELECT * FROM assessments WHERE topic = ? AND platform {same} ? AND guild_id {same} ? "
        "ORDER BY id DESC",
        (topic, *scope_columns(scope)),
    )
    return [_to_assessment(r) for r in rows]


async def all_assessments(db: Db) -> list[tuple[Assessment, str | None]]:
    """Every assessment in every scope with its seed key, oldest first (for export)."""
    rows = await db.fetchall("SELECT * FROM assessments ORDER BY id")
    return [(_to_assessment(r), r["seed_key"]) for r in rows]


async def assessments_set_between(db: Db, start: str, end: str) -> list[Assessment]:
    """Assessments of every topic and scope set in [start, end), newest first."""
    window, params = changed_in_window("created_at", start, end)
    rows = await db.fetchall(f"SELECT * FROM assessments WHERE {window} ORDER BY id DESC", params)
    return [_to_assessment(r) for r in rows]
