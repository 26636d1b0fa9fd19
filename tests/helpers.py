"""Shared test helpers: a fixed clock, people, raw development input, row counts."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.validation import validate_development
from bot.domain.models import DevelopmentDraft
from bot.domain.scope import Scope
from storage.contract import Db

#: "Now" for every test: a fortnight after the last dated starter development.
NOW = datetime(2023, 5, 1, 9, 30, tzinfo=UTC)

GUILD_A = 111111111111111111
GUILD_B = 222222222222222222
SCOPE_A = Scope.discord(GUILD_A)
SCOPE_B = Scope.discord(GUILD_B)

EDITOR = Actor(user_id="900000000000000001", name="editor", is_editor=True)
MOD_A = Actor(user_id="900000000000000002", name="mod-a", scope=SCOPE_A, is_moderator=True)
MOD_B = Actor(user_id="900000000000000003", name="mod-b", scope=SCOPE_B, is_moderator=True)
MEMBER_A = Actor(user_id="900000000000000004", name="member-a", scope=SCOPE_A)
EDITOR_IN_A = Actor(user_id="900000000000000001", name="editor", scope=SCOPE_A, is_editor=True)

TABLES = (
    "developments",
    "sources",
    "revisions",
    "development_topics",
    "assessments",
    "dataset_loads",
    "developments_fts",
)


@dataclass
class FixedClock:
    """A clock that only moves when told to."""

    now: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def raw_development(**overrides: Any) -> dict[str, Any]:
    """Valid raw input for a development, with fields replaced by `overrides`."""
    raw: dict[str, Any] = {
        "kind": "event",
        "title": "Foreign ministers of Japan and South Korea meet in Seoul",
        "summary": "The ministers discussed export controls and shuttle diplomacy.",
        "date": "2023-04-20",
        "countries": "JP KR",
        "domain": "diplomacy",
        "tags": "ministers, shuttle-diplomacy",
        "importance": "2",
        "why_it_matters": "Working-level follow-up to the March summit.",
        "sources": "https://example.org/ministers | Example News | Ministers meet | 2023-04-20",
    }
    raw.update(overrides)
    return raw


def draft(**overrides: Any) -> DevelopmentDraft:
    """A validated development draft."""
    return validate_development(raw_development(**overrides))


def _tables(db: Db) -> tuple[str, ...]:
    # PostgreSQL's search index is one table of its own (development_search).
    if db.dialect == "postgresql":
        return tuple(t if t != "developments_fts" else "development_search" for t in TABLES)
    return TABLES


async def row_counts(db: Db) -> dict[str, int]:
    """Rows in every table the catalogue writes."""
    counts = {}
    for table in _tables(db):
        counts[table] = int(await db.scalar(f"SELECT COUNT(*) FROM {table}"))
    return counts


async def table_dump(db: Db) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every catalogue table, for exact before/after comparisons."""
    dump = {}
    for table in _tables(db):
        columns = "rowid, *" if table == "developments_fts" else "*"
        rows = await db.fetchall(f"SELECT {columns} FROM {table}")
        dump[table] = sorted((tuple(r) for r in rows), key=repr)
    return dump


def require_search(db: Db) -> None:
    """Skip, saying why, a PostgreSQL test that searches while this build has no
    `storage.postgres.search` (PostgreSQL's search lands separately); it runs once it does."""
    if db.dialect == "postgresql" and importlib.util.find_spec("storage.postgres.search") is None:
        pytest.skip("search on PostgreSQL (storage.postgres.search) is not in this build")
