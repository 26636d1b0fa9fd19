"""What /ask needs from storage besides the catalogue's search: how common a wording is, and
one ranked search for any of a question's wordings. Both backends: SQLite's FTS5 index, or
PostgreSQL's tsvector (`development_search`, built by `storage.postgres.search` from the
same words, so a wording is found on both).

A wording is a tuple of words that must all occur (anywhere in the development), each as a
whole word or as a prefix. Words are always quoted: a question's text is never query syntax.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from typing import Any

from bot.domain.models import Development
from bot.domain.scope import Scope
from storage import catalogue
from storage.catalogue import _SELECT, VISIBLE, _with_sources
from storage.contract import Db
from storage.filters import visible_params

COUNT_CAP = 2000

Wordings = Sequence[Sequence[str]]
#: A wording and whether its words are matched as prefixes.
Term = tuple[Sequence[str], bool]


def _phrase(words: Sequence[str], prefix: bool) -> str:
    """Every word of a wording, each quoted (user words cannot inject syntax), as a prefix
    or a whole word."""
    star = "*" if prefix else ""
    return " AND ".join('"' + w.replace('"', '""') + '"' + star for w in words)


def _match(terms: Sequence[Term]) -> str | None:
    """FTS5 MATCH text: any of the wordings (None when none has a word)."""
    parts = [f"({_phrase(w, prefix)})" for w, prefix in terms if w]
    return " OR ".join(parts) or None


def _tsquery(terms: Sequence[Term]) -> str | None:
    """The same as tsquery text, the words folded as PostgreSQL's index folds them."""
    pg = importlib.import_module("storage.postgres.search")
    parts = []
    for wording, prefix in terms:
        # A word the index cuts into several (`north-korea`) is a phrase, prefix-matched
        # on its last part: what FTS5 makes of a quoted string with a star.
        phrases = []
        for word in wording:
            lexemes = [pg._quoted(x) for x in pg.words(word)]
            if lexemes:
                phrases.append(" <-> ".join(lexemes) + (":*" if prefix else ""))
        if phrases:
            parts.append("(" + " & ".join(phrases) + ")")
    return " | ".join(parts) or None


async def wording_count(
    db: Db, wordings: Wordings, *, prefix: bool = True, cap: int = COUNT_CAP
) -> int:
    """How many indexed developments contain every word of at least one wording, counted
    up to `cap` (a count of a word in most rows would walk all of them). Whole words
    (`prefix=False`) cost least: SQLite merges the lists of every word a prefix starts
    before it returns a row."""
    terms = [(w, prefix) for w in wordings]
    if db.dialect == "postgresql":
        query = _tsquery(terms)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM development_search "
            "WHERE document @@ CAST(? AS tsquery) LIMIT ?) found"
        )
    else:
        query = _match(terms)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM developments_fts WHERE developments_fts "
            "MATCH ? LIMIT ?)"
        )
    if query is None:
        return 0
    return int(await db.scalar(sql, (query, cap)) or 0)


async def indexed_count(db: Db) -> int:
    """Roughly how many developments are indexed (the highest id: one index probe)."""
    return int(await db.scalar("SELECT COALESCE(MAX(id), 0) FROM developments") or 0)


async def search_any(
    db: Db,
    terms: Sequence[Term],
    scope: Scope | None,
    *,
    topic: str | None = None,
    limit: int = 20,
) -> list[Development]:
    """Published developments `scope` can see (within `topic`) containing any of the
    wordings, ranked once (bm25 on SQLite, ts_rank_cd on PostgreSQL, with the catalogue
    search's column weights): a development with more, rarer wordings ranks higher. The
    caller keeps the wordings rare enough that ranking every match is cheap. Stopped after
    the catalogue search's time budget (`QueryTooBroad`)."""
    params: list[Any]
    if db.dialect == "postgresql":
        query = _tsquery(terms)
        if query is None:
            return []
        pg = importlib.import_module("storage.postgres.search")
        sql = [
            f"{_SELECT} FROM development_search s JOIN developments d ON d.id = s.development_id",
            f"WHERE s.document @@ CAST(? AS tsquery) AND d.status = 'published' AND {VISIBLE}",
        ]
        params = [query, *visible_params(scope)]
        order = f"ORDER BY {pg._RANK} DESC, d.id DESC LIMIT ?"
        tail: list[Any] = [query, limit]
    else:
        query = _match(terms)
        if query is None:
            return []
        sql = [
            f"{_SELECT} FROM developments_fts f JOIN developments d ON d.id = f.rowid",
            f"WHERE developments_fts MATCH ? AND d.status = 'published' AND {VISIBLE}",
        ]
        params = [query, *visible_params(scope)]
        order = "ORDER BY bm25(developments_fts, 10.0, 1.0, 4.0, 2.0), d.id DESC LIMIT ?"
        tail = [limit]
    if topic is not None:
        # Checked for each match (the budget keeps them few) rather than listing the
        # topic's ids first: a pair's topic holds a third of the catalogue.
        sql.append(
            "AND EXISTS (SELECT 1 FROM development_topics t "
            "WHERE t.development_id = d.id AND t.topic = ?)"
        )
        params.append(topic)
    sql.append(order)
    rows = await _within_budget(db, " ".join(sql), [*params, *tail])
    return await _with_sources(db, rows)


async def _within_budget(db: Db, sql: str, params: Sequence[Any]) -> Sequence[Any]:
    deadline = asyncio.get_running_loop().time() + catalogue.SEARCH_BUDGET_S
    if db.dialect == "postgresql":
        pg = importlib.import_module("storage.postgres.search")
        rows: Sequence[Any] = await pg.fetch_within(db, sql, params, deadline)
        return rows
    from storage.sqlite.database import Database

    assert isinstance(db, Database)
    return await db.fetchall(sql, params, deadline=deadline)


async def visible_by_ids(db: Db, ids: Sequence[int], scope: Scope | None) -> list[Development]:
    """The published developments among `ids` that `scope` can see, in the order given
    (/ask's semantic neighbours are found by id, then checked here)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    # By id on SQLite: its planner otherwise walks the scope index (every global row,
    # 27 ms at 100k developments, against 0.2 ms by id).
    by_id = " NOT INDEXED" if db.dialect == "sqlite" else ""
    rows = await db.fetchall(
        f"{_SELECT} FROM developments d{by_id} WHERE d.id IN ({marks}) "
        f"AND d.status = 'published' AND {VISIBLE}",
        [*ids, *visible_params(scope)],
    )
    order = {dev_id: i for i, dev_id in enumerate(ids)}
    return sorted(await _with_sources(db, rows), key=lambda d: order[d.id])
