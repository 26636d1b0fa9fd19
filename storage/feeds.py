"""Queries for feeds, seen items, candidates, their sources, rejected stories and review
channels (migration 007_feeds). Only bot/core/feeds uses these."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain.feeds import Candidate, CandidateSource, Feed
from bot.domain.scope import Scope, scope_columns, scope_key, scope_of
from storage.contract import Db, DbWriter, Row, concat_sql

_FEED_COLUMNS = (
    "id, platform, scope_id, url, title, topics, keywords, interval_s, status, pause_reason, etag, "
    "last_modified, failures, failing_since, last_error, last_polled_at, next_poll_at, added_by, "
    "notice_pending, last_capped"
)


def _feed(row: Row) -> Feed:
    return Feed(
        id=row["id"],
        scope=scope_of(row["platform"], row["scope_id"]),
        url=row["url"],
        title=row["title"],
        topics=tuple(row["topics"].split()),
        keywords=tuple(k for k in row["keywords"].split("|") if k),
        interval_s=row["interval_s"],
        status=row["status"],
        pause_reason=row["pause_reason"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        failures=row["failures"],
        failing_since=row["failing_since"],
        last_error=row["last_error"],
        last_polled_at=row["last_polled_at"],
        next_poll_at=row["next_poll_at"],
        added_by=row["added_by"],
        notice_pending=bool(row["notice_pending"]),
        last_capped=row["last_capped"],
    )


def _scope_sql(scope: Scope | None, table: str = "") -> tuple[str, list[Any]]:
    if scope is None:
        return f"{table}scope_id IS NULL", []
    return f"{table}platform = ? AND {table}scope_id = ?", [scope.platform, scope.id]


# --- feeds -------------------------------------------------------------------------------


async def insert_feed(w: DbWriter, feed: Feed, at: str) -> int:
    """Store a new feed; returns its id."""
    return await w.execute(
        "INSERT INTO feeds (platform, scope_id, url, title, topics, keywords, interval_s, next_poll_at, "
        "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            *scope_columns(feed.scope),
            feed.url,
            feed.title,
            " ".join(feed.topics),
            "|".join(feed.keywords),
            feed.interval_s,
            feed.next_poll_at,
            feed.added_by,
            at,
        ),
    )


async def get_feed(db: Db | DbWriter, feed_id: int) -> Feed | None:
    """One feed by id."""
    row = await db.fetchone(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
    return _feed(row) if row else None


async def find_feed(db: Db, scope: Scope | None, url: str) -> Feed | None:
    """The feed of this queue with this URL."""
    where, params = _scope_sql(scope)
    row = await db.fetchone(
        f"SELECT {_FEED_COLUMNS} FROM feeds WHERE {where} AND url = ?", (*params, url)
    )
    return _feed(row) if row else None


async def list_feeds(db: Db, scope: Scope | None) -> list[Feed]:
    """One queue's feeds, oldest first."""
    where, params = _scope_sql(scope)
    rows = await db.fetchall(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE {where} ORDER BY id", params)
    return [_feed(r) for r in rows]


async def due_feeds(db: Db, now: str) -> list[Feed]:
    """Active feeds whose next poll is due."""
    rows = await db.fetchall(
        f"SELECT {_FEED_COLUMNS} FROM feeds WHERE status = 'active' AND next_poll_at <= ? "
        "ORDER BY next_poll_at, id",
        (now,),
    )
    return [_feed(r) for r in rows]


async def delete_feed(w: DbWriter, feed_id: int) -> int:
    """Remove a feed (its seen items go with it; candidates keep their sources)."""
    return await w.execute_rowcount("DELETE FROM feeds WHERE id = ?", (feed_id,))


async def set_feed_status(
    w: DbWriter, feed_id: int, status: str, reason: str | None, next_poll_at: str | None = None
) -> None:
    """Pause (with a reason) or resume a feed; resuming clears its failure record."""
    if status == "active":
        await w.execute(
            "UPDATE feeds SET status = 'active', pause_reason = NULL, failures = 0, "
            "failing_since = NULL, notice_pending = 0, "
            "next_poll_at = COALESCE(?, next_poll_at) WHERE id = ?",
            (next_poll_at, feed_id),
        )
    else:
        await w.execute(
            "UPDATE feeds SET status = ?, pause_reason = ? WHERE id = ?", (status, reason, feed_id)
        )


async def record_success(
    w: DbWriter,
    feed: Feed,
    *,
    title: str,
    etag: str | None,
    last_modified: str | None,
    at: str,
    next_poll_at: str,
    capped: int = 0,
) -> None:
    """A fetch worked: keep its validators, clear failures, schedule the next poll."""
    await w.execute(
        "UPDATE feeds SET title = ?, etag = ?, last_modified = ?, failures = 0, "
        "failing_since = NULL, last_error = NULL, last_polled_at = ?, next_poll_at = ?, "
        "last_capped = ? WHERE id = ?",
        (title or feed.title, etag, last_modified, at, next_poll_at, capped, feed.id),
    )


async def record_failure(
    w: DbWriter,
    feed_id: int,
    *,
    error: str,
    failures: int,
    failing_since: str,
    at: str,
    next_poll_at: str,
    pause_reason: str | None,
) -> None:
    """A fetch failed: count it, back off, and pause the feed when `pause_reason` is set
    (its queue's reviewers are then told, see `paused_unannounced`)."""
    await w.execute(
        "UPDATE feeds SET failures = ?, failing_since = ?, last_error = ?, last_polled_at = ?, "
        "next_poll_at = ?, status = CASE WHEN CAST(? AS TEXT) IS NULL THEN status ELSE 'paused' END, "
        "notice_pending = CASE WHEN CAST(? AS TEXT) IS NULL THEN notice_pending ELSE 1 END, "
        "pause_reason = COALESCE(?, pause_reason) WHERE id = ?",
        (
            failures,
            failing_since,
            error,
            at,
            next_poll_at,
            pause_reason,
            pause_reason,
            pause_reason,
            feed_id,
        ),
    )


async def paused_unannounced(db: Db) -> list[Feed]:
    """Feeds the bot paused whose queue's reviewers have not been told yet."""
    rows = await db.fetchall(
        f"SELECT {_FEED_COLUMNS} FROM feeds WHERE notice_pending = 1 AND status = 'paused' "
        "ORDER BY id"
    )
    return [_feed(r) for r in rows]


async def claim_notice(w: DbWriter, feed_id: int, pending: bool = False) -> bool:
    """Claim the telling of this feed's pause (pending=False: one sender wins), or give
    it back (pending=True: the message could not be sent)."""
    changed = await w.execute_rowcount(
        "UPDATE feeds SET notice_pending = ? WHERE id = ? AND notice_pending = ?",
        (int(pending), feed_id, int(not pending)),
    )
    return changed > 0


# --- seen items --------------------------------------------------------------------------


async def seen_keys(db: Db | DbWriter, feed_id: int, keys: Sequence[str]) -> set[str]:
    """Which of these item keys the feed has delivered before."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(
            f"SELECT item_key FROM feed_items WHERE feed_id = ? AND item_key IN ({marks})",
            (feed_id, *chunk),
        )
        found.update(r[0] for r in rows)
    return found


async def mark_seen(w: DbWriter, feed_id: int, keys: Iterable[str]) -> None:
    """Remember item keys as delivered by this feed."""
    await w.executemany(
        "INSERT INTO feed_items (feed_id, item_key) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(feed_id, k) for k in keys],
    )


# --- candidates --------------------------------------------------------------------------

_CANDIDATE_COLUMNS = (
    "id, platform, scope_id, title, summary, occurred_on, date_precision, date_from_feed, countries, "
    "domain, relevance, status, created_at, development_id, card_channel_id, card_message_id"
)


def _candidate(row: Row, sources: tuple[CandidateSource, ...] = ()) -> Candidate:
    return Candidate(
        id=row["id"],
        scope=scope_of(row["platform"], row["scope_id"]),
        title=row["title"],
        summary=row["summary"],
        occurred_on=row["occurred_on"],
        date_precision=row["date_precision"],
        date_from_feed=bool(row["date_from_feed"]),
        countries=tuple(row["countries"].split()),
        domain=row["domain"],
        relevance=row["relevance"],
        status=row["status"],
        created_at=row["created_at"],
        sources=sources,
        development_id=row["development_id"],
        card_channel_id=row["card_channel_id"],
        card_message_id=row["card_message_id"],
    )


async def insert_candidate(w: DbWriter, c: Candidate) -> int:
    """Queue a new candidate with its first sources; returns its id."""
    cid = await w.execute(
        "INSERT INTO candidates (platform, scope_id, title, summary, occurred_on, date_precision, "
        "date_from_feed, countries, domain, relevance, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            *scope_columns(c.scope),
            c.title,
            c.summary,
            c.occurred_on,
            c.date_precision,
            int(c.date_from_feed),
            " ".join(c.countries),
            c.domain,
            c.relevance,
            c.created_at,
        ),
    )
    for source in c.sources:
        await add_source(w, cid, source)
    return cid


async def add_source(w: DbWriter, candidate_id: int, s: CandidateSource) -> bool:
    """Add a source to a candidate; False when it already has that link."""
    changed = await w.execute_rowcount(
        "INSERT INTO candidate_sources (candidate_id, feed_id, link, title, publisher, "
        "published_on, seen_on) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (candidate_id, s.feed_id, s.link, s.title, s.publisher, s.published_on, s.seen_on),
    )
    return changed > 0


async def _sources(db: Db | DbWriter, ids: Sequence[int]) -> dict[int, list[CandidateSource]]:
    found: dict[int, list[CandidateSource]] = {i: [] for i in ids}
    if not ids:
        return found
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(
        "SELECT candidate_id, feed_id, link, title, publisher, published_on, seen_on "
        f"FROM candidate_sources WHERE candidate_id IN ({marks}) ORDER BY id",
        tuple(ids),
    )
    for r in rows:
        found[r["candidate_id"]].append(
            CandidateSource(
                link=r["link"],
                title=r["title"],
                publisher=r["publisher"],
                published_on=r["published_on"],
                seen_on=r["seen_on"],
                feed_id=r["feed_id"],
            )
        )
    return found


async def get_candidate(db: Db | DbWriter, candidate_id: int) -> Candidate | None:
    """One candidate with its sources."""
    row = await db.fetchone(
        f"SELECT {_CANDIDATE_COLUMNS} FROM candidates WHERE id = ?", (candidate_id,)
    )
    if row is None:
        return None
    return _candidate(row, tuple((await _sources(db, [candidate_id]))[candidate_id]))


async def list_candidates(
    db: Db,
    scope: Scope | None,
    *,
    status: str = "pending",
    limit: int = 100,
    without_card: bool = False,
) -> list[Candidate]:
    """A queue's candidates in one status, oldest first, with their sources."""
    where, params = _scope_sql(scope)
    if without_card:
        where += " AND card_message_id IS NULL"
    rows = await db.fetchall(
        f"SELECT {_CANDIDATE_COLUMNS} FROM candidates WHERE {where} AND status = ? "
        "ORDER BY id LIMIT ?",
        (*params, status, limit),
    )
    sources = await _sources(db, [r["id"] for r in rows])
    return [_candidate(r, tuple(sources[r["id"]])) for r in rows]


async def count_pending(db: Db, scope: Scope | None) -> int:
    """How many candidates wait in a queue."""
    where, params = _scope_sql(scope)
    return int(
        await db.scalar(
            f"SELECT COUNT(*) FROM candidates WHERE {where} AND status = 'pending'", params
        )
    )


async def queues_without_cards(db: Db) -> list[Scope | None]:
    """The queues (None for global) with pending candidates not yet posted."""
    rows = await db.fetchall(
        "SELECT DISTINCT platform, scope_id FROM candidates WHERE status = 'pending' "
        "AND card_message_id IS NULL"
    )
    return [scope_of(r[0], r[1]) for r in rows]


async def pending_by_link(w: DbWriter, scope: Scope | None, link: str) -> tuple[int, str] | None:
    """The candidate of this queue that already has this link, with its status."""
    where, params = _scope_sql(scope, "c.")
    row = await w.fetchone(
        f"SELECT c.id, c.status FROM candidate_sources s JOIN candidates c "
        f"ON c.id = s.candidate_id WHERE s.link = ? AND {where} ORDER BY c.id LIMIT 1",
        (link, *params),
    )
    return (row[0], row[1]) if row else None


async def move_status(w: DbWriter, candidate_id: int, before: str, after: str) -> bool:
    """Change a candidate's status only if it is still `before` (a claim)."""
    changed = await w.execute_rowcount(
        "UPDATE candidates SET status = ? WHERE id = ? AND status = ?",
        (after, candidate_id, before),
    )
    return changed > 0


async def decide(
    w: DbWriter, candidate_id: int, status: str, actor: str, at: str, dev_id: int | None = None
) -> None:
    """Record the decision on a candidate."""
    await w.execute(
        "UPDATE candidates SET status = ?, decided_by = ?, decided_at = ?, development_id = ? "
        "WHERE id = ?",
        (status, actor, at, dev_id, candidate_id),
    )


async def set_card(w: DbWriter, candidate_id: int, channel_id: int, message_id: int) -> None:
    """Remember where a candidate's review card was posted."""
    await w.execute(
        "UPDATE candidates SET card_channel_id = ?, card_message_id = ? WHERE id = ?",
        (channel_id, message_id, candidate_id),
    )


async def insert_rejected(
    w: DbWriter, scope: Scope | None, title: str, links: list[str], actor: str, at: str
) -> int:
    """Remember a rejected story."""
    return await w.execute(
        "INSERT INTO rejected_stories (platform, scope_id, title, links, rejected_by, "
        "rejected_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (*scope_columns(scope), title, json.dumps(links), actor, at),
    )


# --- what the deduplicating index is built from ------------------------------------------


async def pending_stories(db: Db) -> Sequence[Row]:
    """id, platform, scope_id, title, occurred_on and links of every pending candidate."""
    return await db.fetchall(
        "SELECT c.id, c.platform, c.scope_id, c.title, c.occurred_on, c.countries, "
        f"(SELECT {concat_sql(db.dialect, 'link')} FROM candidate_sources s "
        "WHERE s.candidate_id = c.id) "
        "AS links FROM candidates c WHERE c.status IN ('pending', 'approving')"
    )


async def rejected_stories(db: Db) -> Sequence[Row]:
    """id, platform, scope_id, title, rejected_at and links (JSON) of every rejected story."""
    return await db.fetchall(
        "SELECT id, platform, scope_id, title, rejected_at, links FROM rejected_stories"
    )


async def developments_since(
    db: Db, after: tuple[str, int], dated_from: str, limit: int = 5000
) -> Sequence[Row]:
    """Up to `limit` developments dated from `dated_from` and changed after `after`
    (updated_at, id), in that order, with scope, status, countries and source links."""
    return await db.fetchall(
        "SELECT d.id, d.platform, d.guild_id AS scope_id, d.title, d.occurred_on, d.countries, "
        "d.status, d.updated_at, "
        f"(SELECT {concat_sql(db.dialect, 'url')} FROM sources s WHERE s.development_id = d.id) "
        "AS links "
        "FROM developments d WHERE (d.updated_at, d.id) > (?, ?) AND d.occurred_on >= ? "
        "ORDER BY d.updated_at, d.id LIMIT ?",
        (*after, dated_from, limit),
    )


# --- review channels ---------------------------------------------------------------------


async def set_review_channel(
    w: DbWriter, scope: Scope | None, platform: str, channel_id: int, actor: str, at: str
) -> None:
    """Where a queue's cards go: a channel (or chat) of `platform`."""
    await w.execute(
        "INSERT INTO feed_review_channels (queue_key, platform, channel_id, set_by, set_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (queue_key) DO UPDATE SET "
        "platform = excluded.platform, channel_id = excluded.channel_id, "
        "set_by = excluded.set_by, set_at = excluded.set_at",
        (scope_key(scope), platform, channel_id, actor, at),
    )


async def review_channel(db: Db, scope: Scope | None) -> tuple[str, int] | None:
    """(platform, channel id) a queue's cards go to, if set."""
    row = await db.fetchone(
        "SELECT platform, channel_id FROM feed_review_channels WHERE queue_key = ?",
        (scope_key(scope),),
    )
    return (row[0], int(row[1])) if row else None
