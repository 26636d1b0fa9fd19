"""Queries for developments, sources, topics, revisions and the search index."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from types import ModuleType
from typing import Any, cast

from bot.domain.models import (
    Assessment,
    Development,
    DevelopmentDraft,
    Domain,
    FuzzyDate,
    Kind,
    Precision,
    Revision,
    Source,
    Status,
)
from bot.domain.scope import Scope, scope_columns, scope_key, scope_of
from bot.domain.topics import topics_for
from storage import assessments as assessment_queries
from storage.contract import Db, DbWriter, Row
from storage.filters import (
    changed_in_window,
    imported_in_window,
    not_pending_sql,
    visible_params,
    visible_sql,
)
from storage.search_query import match_expression, prefixed, query_terms
from storage.sqlite.cjk_search import cjk_drop, cjk_put, has_cjk, search_cjk
from storage.sqlite.database import Database, DatabaseError, Writer, all_rows, first_row

NOT_PENDING = not_pending_sql("d")
# Visible to a scope (global or its own) and not part of an import still being written;
# bound with `visible_params(scope)`.
VISIBLE = f"({NOT_PENDING} AND {visible_sql('d')})"
# Above this many matching rows a search lists the newest first rather than ranking by bm25.
BROAD_MATCHES = 1000
# The words of an ASCII text as FTS5's unicode61 tokenizer cuts its lower-cased form.
_ASCII_WORD = re.compile(r"[a-z0-9]+")
HIT_START, HIT_END = "\ue000", "\ue001"
# The longest a search may take: a longer one is stopped and answered "too broad" (a
# plain search takes milliseconds; see `storage.search_query` for what is slow).
SEARCH_BUDGET_S = 0.5

_DEV_COLUMNS = (
    "id, kind, title, summary, occurred_on, date_precision, countries, domain, tags, importance, "
    "why_it_matters, guild_id, platform, status, retraction_reason, created_by, created_at, updated_by, "
    "updated_at, seed_key"
)
_SELECT = f"SELECT {', '.join('d.' + c.strip() for c in _DEV_COLUMNS.split(','))}"


# --- mapping -------------------------------------------------------------------------------


def draft_columns(draft: DevelopmentDraft) -> dict[str, Any]:
    """The developments-table values of a draft."""
    return {
        "kind": draft.kind,
        "title": draft.title,
        "summary": draft.summary,
        "occurred_on": draft.occurred.start.isoformat(),
        "date_precision": draft.occurred.precision,
        "countries": " ".join(draft.countries),
        "domain": draft.domain,
        "tags": " ".join(draft.tags),
        "importance": draft.importance,
        "why_it_matters": draft.why_it_matters,
    }


def _to_development(row: Row, sources: Sequence[Source], revisions: int = 0) -> Development:
    return Development(
        id=row["id"],
        kind=cast(Kind, row["kind"]),
        title=row["title"],
        summary=row["summary"],
        occurred=FuzzyDate(
            date.fromisoformat(row["occurred_on"]), cast(Precision, row["date_precision"])
        ),
        countries=tuple(row["countries"].split()),
        domain=cast(Domain, row["domain"]),
        tags=tuple(row["tags"].split()),
        importance=row["importance"],
        why_it_matters=row["why_it_matters"],
        sources=tuple(sources),
        scope=scope_of(row["platform"], row["guild_id"]),
        status=cast(Status, row["status"]),
        retraction_reason=row["retraction_reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
        seed_key=row["seed_key"],
        revision_count=revisions,
        topics=_topics_of(row["countries"], row["domain"]),
    )


@lru_cache(maxsize=256)
def _topics_of(countries: str, domain: str) -> tuple[str, ...]:
    # Few (countries, domain) combinations exist; a brief maps 200 rows.
    return topics_for(countries.split(), domain)


def _source_from_row(row: Row) -> Source:
    return Source(
        title=row["title"],
        publisher=row["publisher"],
        url=row["url"],
        published_on=row["published_on"],
        accessed_on=row["accessed_on"],
    )


def _sources_query(ids: Sequence[int]) -> tuple[str, Sequence[int]]:
    marks = ",".join("?" * len(ids))
    return (
        f"SELECT * FROM sources WHERE development_id IN ({marks}) "
        "ORDER BY development_id, position",
        ids,
    )


def _sources_of(ids: Sequence[int], rows: Iterable[Row]) -> dict[int, list[Source]]:
    by_dev: dict[int, list[Source]] = {i: [] for i in ids}
    for s in rows:
        by_dev[s["development_id"]].append(_source_from_row(s))
    return by_dev


async def _sources_by_id(db: Db, ids: Sequence[int]) -> dict[int, list[Source]]:
    rows: list[Row] = []
    # Chunked to stay under SQLite's bound-parameter limit.
    for start in range(0, len(ids), 500):
        rows += await db.fetchall(*_sources_query(ids[start : start + 500]))
    return _sources_of(ids, rows)


async def _with_sources(db: Db, rows: Sequence[Row]) -> list[Development]:
    if not rows:
        return []
    by_dev = await _sources_by_id(db, [r["id"] for r in rows])
    return [_to_development(r, by_dev[r["id"]]) for r in rows]


def _fts_sources_text(sources: Iterable[Source]) -> str:
    return "\n".join(
        " ".join(p for p in (s.title, s.publisher or "", s.url or "") if p) for s in sources
    )


# --- writing -------------------------------------------------------------------------------


async def _write_children(w: DbWriter, dev_id: int, draft: DevelopmentDraft) -> None:
    await w.execute("DELETE FROM sources WHERE development_id = ?", (dev_id,))
    await w.executemany(
        "INSERT INTO sources (development_id, position, title, publisher, url, published_on, "
        "accessed_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (dev_id, pos, s.title, s.publisher, s.url, s.published_on, s.accessed_on)
            for pos, s in enumerate(draft.sources, start=1)
        ],
    )
    await w.execute("DELETE FROM development_topics WHERE development_id = ?", (dev_id,))
    await w.executemany(
        "INSERT INTO development_topics (topic, occurred_on, development_id) VALUES (?, ?, ?)",
        [
            (topic, draft.occurred.start.isoformat(), dev_id)
            for topic in topics_for(draft.countries, draft.domain)
        ],
    )


def _postgres_search() -> ModuleType | None:
    """PostgreSQL's search functions (`storage.postgres.search`), when this build has them."""
    try:
        return importlib.import_module("storage.postgres.search")
    except ModuleNotFoundError:
        return None


async def fts_put(w: DbWriter, dev_id: int, draft: DevelopmentDraft) -> None:
    """Index (or re-index) one development for search."""
    if w.dialect == "postgresql":
        pg_search = _postgres_search()
        if pg_search is not None:
            await pg_search.search_put(w, dev_id, draft)
        return
    sqlite_w = cast(Writer, w)
    columns = (draft.title, draft.summary, " ".join(draft.tags), _fts_sources_text(draft.sources))
    await w.execute("DELETE FROM developments_fts WHERE rowid = ?", (dev_id,))
    await w.execute(
        "INSERT INTO developments_fts (rowid, title, summary, tags, sources) VALUES (?, ?, ?, ?, ?)",
        (dev_id, *columns),
    )
    await cjk_put(sqlite_w, dev_id, columns)


async def fts_drop(w: DbWriter, dev_id: int) -> None:
    """Drop one development from the search index (retracted)."""
    if w.dialect == "postgresql":
        pg_search = _postgres_search()
        if pg_search is not None:
            await pg_search.search_delete(w, [dev_id])
        return
    await w.execute("DELETE FROM developments_fts WHERE rowid = ?", (dev_id,))
    await cjk_drop(cast(Writer, w), dev_id)


async def insert_development(
    w: DbWriter,
    draft: DevelopmentDraft,
    *,
    scope: Scope | None,
    actor: str,
    at: str,
    dev_id: int | None = None,
    seed_key: str | None = None,
) -> int:
    """Insert a published development with its sources, topics and search entry."""
    platform, scope_id = scope_columns(scope)
    cols = draft_columns(draft) | {
        "guild_id": scope_id,
        "platform": platform,
        "created_by": actor,
        "created_at": at,
        "updated_by": actor,
        "updated_at": at,
        "seed_key": seed_key,
    }
    if dev_id is not None:
        cols["id"] = dev_id
    names = ", ".join(cols)
    marks = ", ".join("?" * len(cols))
    new_id = await w.execute(
        f"INSERT INTO developments ({names}) VALUES ({marks}) RETURNING id", list(cols.values())
    )
    if dev_id is not None and w.dialect == "postgresql":
        # An explicit id (a copy keeps its ids) does not move PostgreSQL's identity: move it
        # past, or the next development added would be refused as a duplicate.
        await w.execute(
            "SELECT setval(pg_get_serial_sequence('developments', 'id'), "
            "(SELECT max(id) FROM developments))"
        )
    await _write_children(w, new_id, draft)
    await fts_put(w, new_id, draft)
    return new_id


async def update_development(
    w: DbWriter, dev_id: int, draft: DevelopmentDraft, *, actor: str, at: str
) -> None:
    """Replace a development's content (scope and status unchanged)."""
    cols = draft_columns(draft) | {"updated_by": actor, "updated_at": at}
    assignments = ", ".join(f"{name} = ?" for name in cols)
    await w.execute(f"UPDATE developments SET {assignments} WHERE id = ?", [*cols.values(), dev_id])
    await _write_children(w, dev_id, draft)
    row = await w.fetchone("SELECT status FROM developments WHERE id = ?", (dev_id,))
    if row is not None and row["status"] == "published":
        await fts_put(w, dev_id, draft)


async def retract_development(
    w: DbWriter, dev_id: int, reason: str, *, actor: str, at: str
) -> None:
    """Mark a development retracted and drop it from the search index."""
    await w.execute(
        "UPDATE developments SET status = 'retracted', retraction_reason = ?, updated_by = ?, "
        "updated_at = ? WHERE id = ?",
        (reason, actor, at, dev_id),
    )
    await fts_drop(w, dev_id)


async def insert_revision(
    w: DbWriter,
    dev_id: int,
    *,
    action: str,
    actor: str,
    at: str,
    changes: dict[str, list[Any]],
    snapshot: dict[str, Any],
    number: int | None = None,
) -> int:
    """Append a revision; numbered 1, 2, … per development unless `number` is given."""
    if number is None:
        row = await w.fetchone(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE development_id = ?",
            (dev_id,),
        )
        number = int(row[0]) if row else 1
    await w.execute(
        "INSERT INTO revisions (development_id, number, action, actor, at, changes, snapshot) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (dev_id, number, action, actor, at, json.dumps(changes), json.dumps(snapshot)),
    )
    return number


def snapshot_of(dev: Development) -> dict[str, Any]:
    """Everything about a development that a revision records."""
    return dev.to_dict() | {
        "status": dev.status,
        "retraction_reason": dev.retraction_reason,
        "scope": scope_key(dev.scope),
    }


# --- reading -------------------------------------------------------------------------------


async def get_development(db: Db, dev_id: int) -> Development | None:
    """One development by id, whatever its scope or status, with its revision count."""
    row = await db.fetchone(
        f"{_SELECT} FROM developments d WHERE d.id = ? AND {NOT_PENDING}", (dev_id,)
    )
    if row is None:
        return None
    (dev,) = await _with_sources(db, [row])
    count = await db.scalar("SELECT COUNT(*) FROM revisions WHERE development_id = ?", (dev_id,))
    return Development(**{**dev.__dict__, "revision_count": int(count or 0)})


def _topic_query(
    topic: str,
    scope: Scope | None,
    *,
    since: date | None,
    until: date | None,
    domain: str | None,
    limit: int,
    offset: int,
    newest_first: bool,
    after: tuple[str, int] | None = None,
    before: tuple[str, int] | None = None,
) -> tuple[str, list[Any]]:
    sql = [
        f"{_SELECT} FROM development_topics t JOIN developments d ON d.id = t.development_id",
        f"WHERE t.topic = ? AND d.status = 'published' AND {VISIBLE}",
    ]
    params: list[Any] = [topic, *visible_params(scope)]
    if since is not None:
        sql.append("AND t.occurred_on >= ?")
        params.append(since.isoformat())
    if until is not None:
        sql.append("AND t.occurred_on <= ?")
        params.append(until.isoformat())
    if domain is not None:
        sql.append("AND d.domain = ?")
        params.append(domain)
    # Keyset bounds: (date, id) past a row already shown, walking the primary key from
    # there instead of reading and skipping every row before it.
    if after is not None:
        sql.append("AND (t.occurred_on, t.development_id) > (?, ?)")
        params += list(after)
    if before is not None:
        sql.append("AND (t.occurred_on, t.development_id) < (?, ?)")
        params += list(before)
    order = "DESC" if newest_first else "ASC"
    sql.append(f"ORDER BY t.occurred_on {order}, t.development_id {order} LIMIT ? OFFSET ?")
    params += [limit, offset]
    return " ".join(sql), params


async def select_topic(
    db: Db,
    topic: str,
    scope: Scope | None,
    *,
    since: date | None = None,
    until: date | None = None,
    domain: str | None = None,
    limit: int = 200,
    offset: int = 0,
    newest_first: bool = True,
    with_sources: bool = True,
) -> list[Development]:
    """Published developments of a topic visible to a scope, by date.

    With `with_sources=False` their sources are left empty (read the ones shown with
    `load_sources`): a brief picks ~20 of its 200 candidates.
    """
    rows = await select_topic_rows(
        db,
        topic,
        scope,
        since=since,
        until=until,
        domain=domain,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
    )
    if not with_sources:
        return [_to_development(r, ()) for r in rows]
    return await _with_sources(db, rows)


async def select_topic_page(
    db: Db,
    topic: str,
    scope: Scope | None,
    *,
    since: date | None,
    until: date | None,
    size: int,
    after: int | None = None,
    before: int | None = None,
) -> tuple[list[Development], bool, bool]:
    """One page of a topic's published developments in date order (without sources):
    the first `size`, or the `size` just after (or before) the development `after`
    (`before`) in that order. Reads the page and one row more, never the rest of the
    topic. Returns the page, whether more lie beyond it in the direction read, and whether
    it was read from the bound (False: no bound, or one no longer in the topic, so the
    first page)."""
    bound = after if after is not None else before
    position: tuple[str, int] | None = None
    if bound is not None:
        on = await db.scalar(
            "SELECT occurred_on FROM development_topics WHERE topic = ? AND development_id = ?",
            (topic, bound),
        )
        position = None if on is None else (str(on), bound)
    backwards = position is not None and after is None
    sql, params = _topic_query(
        topic,
        scope,
        since=since,
        until=until,
        domain=None,
        limit=size + 1,
        offset=0,
        newest_first=backwards,
        after=None if backwards else position,
        before=position if backwards else None,
    )
    rows = await db.fetchall(sql, params)
    page = [_to_development(r, ()) for r in rows[:size]]
    if backwards:
        page.reverse()
    return page, len(rows) > size, position is not None


async def select_topic_rows(
    db: Db,
    topic: str,
    scope: Scope | None,
    *,
    since: date | None = None,
    until: date | None = None,
    domain: str | None = None,
    limit: int = 200,
    offset: int = 0,
    newest_first: bool = True,
) -> Sequence[Row]:
    """`select_topic`'s rows, not yet made `Development`s: a brief picks ~20 of 200 by
    kind, date and importance, and building all 200 objects cost more than its SQL."""
    sql, params = _topic_query(
        topic,
        scope,
        since=since,
        until=until,
        domain=domain,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
    )
    return await db.fetchall(sql, params)


async def load_sources(db: Db, devs: Sequence[Development]) -> list[Development]:
    """The same developments with their sources read (after `with_sources=False`)."""
    if not devs:
        return []
    by_dev = await _sources_by_id(db, list(dict.fromkeys(d.id for d in devs)))
    return [replace(d, sources=tuple(by_dev[d.id])) for d in devs]


async def count_topic(
    db: Db,
    topic: str,
    scope: Scope | None,
    *,
    since: date | None,
    until: date | None,
    domain: str | None = None,
    cap: int | None = None,
) -> int:
    """How many published developments `select_topic` would page through (at most `cap`:
    counting a topic of tens of thousands costs tens of milliseconds)."""
    return int(
        await db.scalar(
            *_count_query(
                db.dialect, topic, scope, since=since, until=until, domain=domain, cap=cap
            )
        )
        or 0
    )


def _count_query(
    dialect: str,
    topic: str,
    scope: Scope | None,
    *,
    since: date | None,
    until: date | None,
    domain: str | None,
    cap: int | None,
) -> tuple[str, tuple[Any, ...]]:
    sql = (
        "SELECT COUNT(*) FROM (SELECT 1 FROM development_topics t "
        "JOIN developments d ON d.id = t.development_id "
        f"WHERE t.topic = ? AND d.status = 'published' AND {VISIBLE} "
        "AND t.occurred_on >= ? AND t.occurred_on <= ? "
        "AND (CAST(? AS TEXT) IS NULL OR d.domain = ?) LIMIT ?) AS capped"
    )
    start = (since or date.min).isoformat()
    end = (until or date.max).isoformat()
    if dialect == "postgresql":
        return _count_query_postgres(topic, scope, start, end, domain, cap)
    uncapped = -1  # no cap: SQLite's LIMIT -1
    params = (
        topic,
        *visible_params(scope),
        start,
        end,
        domain,
        domain,
        uncapped if cap is None else cap,
    )
    return sql, params


@dataclass(frozen=True)
class BriefReads:
    """What a brief reads: a topic's newest rows, the groups of them chosen to be shown
    (with their sources), how many match in all, and the current assessment."""

    rows: Sequence[Row]
    shown: Sequence[Sequence[Development]]
    total: int
    assessment: Assessment | None


async def read_brief(
    db: Db,
    topic: str,
    scope: Scope | None,
    *,
    since: date | None,
    domain: str | None,
    limit: int,
    count_cap: int,
    choose: Callable[[Sequence[Row]], Sequence[Sequence[Row]]],
) -> BriefReads:
    """The `limit` newest rows of `select_topic_rows`; `choose(rows)` (pure) picks the groups
    to show, read with their sources; when the rows reach `limit`, how many match (at most
    `count_cap`); the scope's current assessment. On SQLite in one trip to the database's
    thread (`Database.run_reads`), elsewhere statement by statement (the same statements)."""
    rows_sql = _topic_query(
        topic, scope, since=since, until=None, domain=domain, limit=limit, offset=0,
        newest_first=True,
    )  # fmt: skip
    assessment_sql = assessment_queries.current_assessment_query(topic, scope)
    count_sql = _count_query(
        db.dialect, topic, scope, since=since, until=None, domain=domain, cap=count_cap
    )

    def shown_ids(groups: Sequence[Sequence[Row]]) -> list[int]:
        return list(dict.fromkeys(r["id"] for group in groups for r in group))

    def result(
        rows: Sequence[Row],
        groups: Sequence[Sequence[Row]],
        sources: Iterable[Row],
        total: int,
        assessment: Row | None,
    ) -> BriefReads:
        by_dev = _sources_of(shown_ids(groups), sources)
        return BriefReads(
            rows,
            [[_to_development(r, by_dev[r["id"]]) for r in group] for group in groups],
            total,
            None if assessment is None else assessment_queries.assessment_from_row(assessment),
        )

    if isinstance(db, Database):

        def reads(conn: sqlite3.Connection) -> BriefReads:
            rows = all_rows(conn, *rows_sql)
            assessment = first_row(conn, *assessment_sql)
            groups = choose(rows)
            ids = shown_ids(groups)
            sources = all_rows(conn, *_sources_query(ids)) if ids else []
            counted = first_row(conn, *count_sql) if len(rows) == limit else None
            total = len(rows) if counted is None else int(counted[0] or 0)
            return result(rows, groups, sources, total, assessment)

        return await db.run_reads(reads)
    # Elsewhere (PostgreSQL) each read is a round trip to a server whose pool has a
    # connection for each of two independent reads: they go two at a time.
    rows, assessment = await asyncio.gather(db.fetchall(*rows_sql), db.fetchone(*assessment_sql))
    groups = choose(rows)
    ids = shown_ids(groups)
    sources, counted = await asyncio.gather(
        db.fetchall(*_sources_query(ids)) if ids else _no_rows(),
        db.scalar(*count_sql) if len(rows) == limit else _no_value(),
    )
    total = len(rows) if counted is None else int(counted or 0)
    return result(rows, groups, sources, total, assessment)


async def _no_rows() -> list[Row]:
    return []


async def _no_value() -> Any:
    return None


def _count_query_postgres(
    topic: str,
    scope: Scope | None,
    start: str,
    end: str,
    domain: str | None,
    cap: int | None,
) -> tuple[str, tuple[Any, ...]]:
    """`_count_query` on PostgreSQL. Its planner underestimates how many of a topic's rows
    are visible (the pending-import test and the scope's OR), so for the join it hashed the
    whole developments table: ~20 ms at 100,000 rows, growing with the catalogue. Testing
    each topic row by a correlated lookup of its development keeps the count at `cap`
    primary-key lookups at most (~3 ms), whatever the catalogue's size."""
    sql = (
        "SELECT COUNT(*) FROM (SELECT 1 FROM development_topics t "
        "WHERE t.topic = ? AND t.occurred_on >= ? AND t.occurred_on <= ? "
        f"AND (SELECT d.status = 'published' AND {VISIBLE} "
        "AND (CAST(? AS TEXT) IS NULL OR d.domain = ?) "
        "FROM developments d WHERE d.id = t.development_id) "
        "LIMIT ?) AS capped"
    )
    # No cap: LIMIT NULL (PostgreSQL refuses a negative one).
    params = (topic, start, end, *visible_params(scope), domain, domain, cap)
    return sql, params


async def _broad_expression(
    db: Database, terms: list[str], *, any_term: bool, deadline: float, words: _WordList
) -> str | None:
    """For a query matching at least BROAD_MATCHES rows, the expression to list newest first.

    The probes rank nothing. Whole words first: that probe walks the index newest-first
    and stops early (~0.2 ms), and when the words are that common as whole words, their
    newest whole-word matches are what the search lists. A prefix query costs more: SQLite
    3.40 merges the lists of every word with that prefix before it returns a row (~12 ms
    for a word in every row), so it is only used when the whole words are not common, and
    not at all when one term alone (every term must match) is known to be rare. That is
    probed first, term by term: a rare term makes every term together rare, and probing
    every term together first cost ~1.7 ms more when the other word is in most rows.
    """
    if not any_term and len(terms) > 1 and await _one_term_is_rare(db, terms, deadline, words):
        return None
    exact = match_expression(terms, any_term=any_term, prefix=False)
    if await _at_least_broad(db, exact, deadline):
        return exact
    expression = match_expression(terms, any_term=any_term, whole=await words.whole(terms))
    if expression != exact and await _at_least_broad(db, expression, deadline):
        return expression
    return None


async def _at_least_broad(db: Database, expression: str, deadline: float) -> bool:
    row = await db.fetchone(
        "SELECT rowid FROM developments_fts WHERE developments_fts MATCH ? "
        "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (expression, BROAD_MATCHES - 1),
        deadline=deadline,
    )
    return row is not None


async def _one_term_is_rare(
    db: Database, terms: list[str], deadline: float, words: _WordList
) -> bool:
    """Whether some term alone matches fewer than BROAD_MATCHES rows (so every term together
    does too). Terms common as whole words are not probed as prefixes (the costly kind of
    probe), and the others are probed whole first: cheap, and it orders the prefix probes."""
    uncommon = []
    for term in terms:
        if not await _at_least_broad(db, match_expression([term], prefix=False), deadline):
            uncommon.append(term)
    for term in uncommon:
        if await words.unextended(term):  # its prefix finds what the whole word found
            return True
        if not await _at_least_broad(db, match_expression([term]), deadline):
            return True
    return False


class _WordList:
    """Which prefix-matched terms of a query no longer indexed word begins with ("united"
    when the index has no "unitedly"), looked up in the index's word list
    (`developments_fts_words`) when a prefix query is about to run, once per term.

    Matched as whole words, such terms find the same rows and rank them the same, without
    the prefix merge (3–8 ms for a word in most rows: the merge, and again for bm25's count
    of the rows it is in). Only ASCII terms, whose words FTS5's unicode61 cuts as
    `[a-z0-9]+` of the lower-cased text; a phrase's prefix is its last word's.
    """

    def __init__(self, db: Database, terms: list[str], deadline: float) -> None:
        self._db = db
        self._deadline = deadline
        self._starred = {t for t, star in zip(terms, prefixed(terms), strict=True) if star}
        self._known: dict[str, bool] = {}

    async def whole(self, terms: list[str]) -> frozenset[str]:
        """Those of `terms` that can be matched as whole words."""
        return frozenset([t for t in terms if await self.unextended(t)])

    async def unextended(self, term: str) -> bool:
        """Whether `term` is prefix-matched and no longer indexed word begins with it."""
        if term not in self._known:
            words = _ASCII_WORD.findall(term.lower()) if term.isascii() else []
            if term not in self._starred or not words:
                self._known[term] = False
            else:
                last = words[-1]
                longer = await self._db.fetchone(
                    "SELECT term FROM developments_fts_words WHERE term >= ? AND term < ? LIMIT 1",
                    (last + "\x01", last[:-1] + chr(ord(last[-1]) + 1)),
                    deadline=self._deadline,
                )
                self._known[term] = longer is None
        return self._known[term]


def _search_deadline() -> float:
    return asyncio.get_running_loop().time() + SEARCH_BUDGET_S


async def search(
    db: Db, text: str, scope: Scope | None, *, topic: str | None = None, limit: int = 10
) -> list[tuple[Development, str]]:
    """Best matches first, each with a snippet whose hits are wrapped in HIT_START/HIT_END
    (on PostgreSQL by `storage.postgres.search.search`, with the same results)."""
    if db.dialect == "postgresql":
        pg_search = _postgres_search()
        if pg_search is None:
            raise DatabaseError("search on PostgreSQL is not part of this build")
        found: list[tuple[Development, str]] = await pg_search.search(
            db, text, scope, topic=topic, limit=limit
        )
        return found
    return await _search_sqlite(cast(Database, db), text, scope, topic=topic, limit=limit)


async def _search_sqlite(
    db: Database, text: str, scope: Scope | None, *, topic: str | None = None, limit: int = 10
) -> list[tuple[Development, str]]:
    """SQLite's search: best matches first, each with a snippet whose hits are wrapped in
    HIT_START/HIT_END.

    Every term must match; when that finds nothing, any term may match. A query matching
    at least BROAD_MATCHES rows (a word in most of the catalogue) lists the most recently
    added matches first instead, by whole words when those are that common: bm25 scores
    every match, ~3 µs each, so ranking 100,000 would take ~150 ms a request. A search
    still running after SEARCH_BUDGET_S is stopped: `QueryTooBroad`.
    """
    terms = query_terms(text)
    if not terms:
        return []
    deadline = _search_deadline()
    if has_cjk(*terms):
        return await _search_cjk(db, terms, scope, topic=topic, limit=limit, deadline=deadline)
    words = _WordList(db, terms, deadline)
    for any_term in (False, True):
        if any_term and len(terms) == 1:
            break
        broad = await _broad_expression(
            db, terms, any_term=any_term, deadline=deadline, words=words
        )
        sql = [
            f"{_SELECT}, snippet(developments_fts, -1, '{HIT_START}', '{HIT_END}', '…', 16) AS snip",
            "FROM developments_fts f JOIN developments d ON d.id = f.rowid",
            f"WHERE developments_fts MATCH ? AND d.status = 'published' AND {VISIBLE}",
        ]
        expression = broad or match_expression(
            terms, any_term=any_term, whole=await words.whole(terms)
        )
        params: list[Any] = [expression, *visible_params(scope)]
        if topic is not None:
            sql.append(
                "AND d.id IN (SELECT development_id FROM development_topics WHERE topic = ?)"
            )
            params.append(topic)
        if broad:
            sql.append("ORDER BY f.rowid DESC LIMIT ?")
        else:
            sql.append("ORDER BY bm25(developments_fts, 10.0, 1.0, 4.0, 2.0) LIMIT ?")
        params.append(limit)
        rows = await db.fetchall(" ".join(sql), params, deadline=deadline)
        if rows:
            devs = await _with_sources(db, rows)
            return [(dev, row["snip"]) for dev, row in zip(devs, rows, strict=True)]
    return []


async def _search_cjk(
    db: Database,
    terms: list[str],
    scope: Scope | None,
    *,
    topic: str | None,
    limit: int,
    deadline: float,
) -> list[tuple[Development, str]]:
    """Search by substring in the CJK index: every term, then any term."""
    for any_term in (False, True):
        if any_term and len(terms) == 1:
            break
        found = await search_cjk(
            db,
            terms,
            select=_SELECT,
            visible=VISIBLE,
            visible_args=visible_params(scope),
            topic=topic,
            limit=limit,
            hits=(HIT_START, HIT_END),
            any_term=any_term,
            deadline=deadline,
        )
        if found:
            devs = await _with_sources(db, [row for row, _ in found])
            return [(dev, snip) for dev, (_, snip) in zip(devs, found, strict=True)]
    return []


async def list_revisions(db: Db, dev_id: int) -> list[Revision]:
    """A development's revisions, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM revisions WHERE development_id = ? ORDER BY number", (dev_id,)
    )
    return [
        Revision(
            development_id=r["development_id"],
            number=r["number"],
            action=r["action"],
            actor=r["actor"],
            at=r["at"],
            changes=json.loads(r["changes"]),
            snapshot=json.loads(r["snapshot"]),
        )
        for r in rows
    ]


async def window_fingerprint(db: Db | DbWriter, start: str, end: str) -> tuple[object, ...]:
    """What a digest window [start, end) holds, cheaply: changes when a development or an
    assessment enters, leaves or changes in it, or an import is made visible in it."""
    # One statement, not three: every due subscription checks it before its digest.
    # SQLite's planner needs telling which index walks the window; PostgreSQL's finds it.
    indexed = "INDEXED BY developments_updated " if db.dialect == "sqlite" else ""
    rows = await db.fetchall(
        "SELECT count(*), coalesce(sum(id), 0), max(updated_at) FROM developments "
        f"{indexed}WHERE updated_at >= ? AND updated_at < ? "
        "UNION ALL SELECT count(*), coalesce(sum(id), 0), max(created_at) FROM assessments "
        "WHERE created_at >= ? AND created_at < ? "
        "UNION ALL SELECT count(*), coalesce(sum(id), 0), NULL FROM imports "
        "WHERE visible_at >= ? AND visible_at < ?",
        (start, end) * 3,
    )
    return tuple(value for row in rows for value in row)


async def changed_in_period(db: Db, start: str, end: str) -> list[Development]:
    """Developments of every topic and scope created, edited or retracted in [start, end),
    or imported by an import made visible then, without their sources: one read shared by
    all the digests of a period."""
    # Walk the window by updated_at (a few hundred rows of the catalogue); the imports made
    # visible in it are a second, separate part so each side keeps its index.
    window, params = changed_in_window("updated_at", start, end, table="d")
    imported, imported_params = imported_in_window(start, end, table="d")
    indexed = "INDEXED BY developments_updated " if db.dialect == "sqlite" else ""
    rows = await db.fetchall(
        f"{_SELECT} FROM developments d {indexed}"
        f"WHERE {window} AND {NOT_PENDING} "
        f"UNION {_SELECT} FROM developments d WHERE {imported} ORDER BY 1",
        [*params, *imported_params],
    )
    return [_to_development(r, ()) for r in rows]


async def autocomplete_ids(
    db: Db, text: str, scope: Scope | None, *, limit: int = 25
) -> list[tuple[int, str]]:
    """(id, title) pairs for an id box: id prefix matches, then title matches, newest first."""
    digits = text.strip().lstrip("#")
    if digits.isdigit():
        rows = await db.fetchall(
            f"SELECT d.id, d.title FROM developments d WHERE {VISIBLE} "
            "AND CAST(d.id AS TEXT) LIKE ? ORDER BY length(CAST(d.id AS TEXT)), d.id DESC LIMIT ?",
            (*visible_params(scope), digits + "%", limit),
        )
    elif query_terms(text):
        return [(d.id, d.title) for d, _ in await search(db, text, scope, limit=limit)]
    else:
        rows = await db.fetchall(
            f"SELECT d.id, d.title FROM developments d WHERE {VISIBLE} "
            "ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
            (*visible_params(scope), limit),
        )
    return [(r["id"], r["title"]) for r in rows]


async def catalogue_counts(db: Db) -> dict[str, int]:
    """Totals for /about and `check`."""
    row = await db.fetchone(
        "SELECT COUNT(*) AS total, "
        "SUM(CASE WHEN status = 'published' AND guild_id IS NULL THEN 1 ELSE 0 END) "
        "AS global_published, "
        "SUM(CASE WHEN status = 'published' AND guild_id IS NOT NULL THEN 1 ELSE 0 END) "
        "AS server_published, "
        "SUM(CASE WHEN status = 'retracted' THEN 1 ELSE 0 END) AS retracted "
        f"FROM developments d WHERE {NOT_PENDING}"
    )
    sources = await db.scalar("SELECT COUNT(*) FROM sources")
    assert row is not None
    counts = {k: int(row[k] or 0) for k in row.keys()}  # noqa: SIM118 (a Row iterates values)
    return counts | {"sources": int(sources or 0)}


async def revision_count(w: DbWriter, dev_id: int) -> int:
    """How many revisions a development has, read inside a write transaction."""
    row = await w.fetchone("SELECT COUNT(*) FROM revisions WHERE development_id = ?", (dev_id,))
    return int(row[0]) if row else 0
