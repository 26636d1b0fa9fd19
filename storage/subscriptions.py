"""Queries for digest subscriptions and the delivery ledger (one row per subscription and
period, UNIQUE, written before the first message of a digest is posted)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from typing import cast

from bot.domain.clock import iso_utc, parse_utc
from bot.domain.digest_filter import NO_FILTER, DigestFilter
from bot.domain.schedule import Cadence, Schedule
from bot.domain.scope import Platform, Scope
from bot.domain.subscriptions import Delivery, DeliveryState, Fence, Subscription
from storage.contract import Db, DbWriter, Row


@dataclass(frozen=True)
class NewSubscription:
    """What /subscribe stores."""

    scope: Scope
    channel_id: int
    topics: tuple[str, ...]
    schedule: Schedule
    post_empty: bool
    actor: str
    at: str
    next_run: datetime
    digest_filter: DigestFilter = NO_FILTER


def _dt(text: str | None) -> datetime | None:
    return None if text is None else parse_utc(text)


def to_subscription(row: Row) -> Subscription:
    """Map a `subscriptions` row."""
    hour, minute = (int(x) for x in row["at_time"].split(":"))
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        topics=tuple(json.loads(row["topics"])),
        schedule=Schedule(
            cast(Cadence, row["cadence"]), row["weekday"], time(hour, minute), row["timezone"]
        ),
        post_empty=bool(row["post_empty"]),
        status=row["status"],
        paused_reason=row["paused_reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        next_run=_dt(row["next_run_utc"]),
        last_period=row["last_period"],
        last_delivered_at=row["last_delivered_at"],
        covered_until=_dt(row["covered_until"]),
        last_error=row["last_error"],
        digest_filter=DigestFilter(
            include=tuple(json.loads(row["include_words"])),
            exclude=tuple(json.loads(row["exclude_words"])),
            domains=tuple(json.loads(row["domains"])),
        ),
        platform=cast(Platform, row["platform"]),
        waiting_for=cast(Platform | None, row["waiting_for"]),
    )


def to_delivery(row: Row) -> Delivery:
    """Map a `digest_deliveries` row."""
    return Delivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        channel_id=row["channel_id"],
        period=row["period_key"],
        state=row["state"],
        attempts=row["attempts"],
        parts=tuple(json.loads(row["parts"])),
        parts_sent=row["parts_sent"],
        message_ids=tuple(int(m) for m in json.loads(row["message_ids"])),
        window_start=parse_utc(row["window_start"]),
        window_end=parse_utc(row["window_end"]),
        folded=tuple(json.loads(row["folded"])),
        lease_owner=row["lease_owner"],
        lease_until=_dt(row["lease_until"]),
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        error=row["error"],
        trigger=row["trigger"],
        lease_token=row["lease_token"],
        reference=row["reference"],
        failures=row["failures"],
    )


# --- subscriptions -----------------------------------------------------------------------


async def get_subscription(db: Db | DbWriter, sub_id: int) -> Subscription | None:
    """One subscription by id."""
    row = await db.fetchone("SELECT * FROM subscriptions WHERE id = ?", (sub_id,))
    return None if row is None else to_subscription(row)


async def subscription_for_channel(db: Db | DbWriter, channel_id: int) -> Subscription | None:
    """The subscription of a channel, if any."""
    row = await db.fetchone("SELECT * FROM subscriptions WHERE channel_id = ?", (channel_id,))
    return None if row is None else to_subscription(row)


async def scope_subscriptions(db: Db, scope: Scope) -> list[Subscription]:
    """A server's (or chat's) subscriptions, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM subscriptions WHERE platform = ? AND guild_id = ? ORDER BY id",
        (scope.platform, scope.id),
    )
    return [to_subscription(r) for r in rows]


async def active_subscriptions(db: Db) -> list[Subscription]:
    """Every active subscription (the scheduler's jobs are derived from these)."""
    rows = await db.fetchall("SELECT * FROM subscriptions WHERE status = 'active' ORDER BY id")
    return [to_subscription(r) for r in rows]


async def due_subscription_ids(db: Db, now: datetime) -> list[int]:
    """Active subscriptions whose next run has come, oldest due first."""
    rows = await db.fetchall(
        "SELECT id FROM subscriptions WHERE status = 'active' AND next_run_utc <= ? "
        "ORDER BY next_run_utc, id",
        (iso_utc(now),),
    )
    return [r["id"] for r in rows]


async def upsert_subscription(w: DbWriter, new: NewSubscription) -> int:
    """Create the channel's subscription, or replace its settings (and resume it)."""
    s = new.schedule
    values = (
        new.scope.platform,
        new.scope.id,
        new.channel_id,
        json.dumps(list(new.topics)),
        s.cadence,
        s.weekday,
        f"{s.at:%H:%M}",
        s.timezone,
        int(new.post_empty),
        new.actor,
        new.at,
        iso_utc(new.next_run),
        json.dumps(list(new.digest_filter.include), ensure_ascii=False),
        json.dumps(list(new.digest_filter.exclude), ensure_ascii=False),
        json.dumps(list(new.digest_filter.domains)),
    )
    # Paused before 004 with a delivery left open: its parts are stale, never post them.
    await w.execute(
        "UPDATE digest_deliveries SET state = 'failed', sent_at = ?, lease_until = NULL, "
        "error = ?, lease_token = lease_token + 1 WHERE state = 'sending' AND subscription_id = "
        "(SELECT id FROM subscriptions WHERE channel_id = ? AND status = 'paused')",
        (new.at, ABANDONED_ON_PAUSE, new.channel_id),
    )
    await w.execute(
        "INSERT INTO subscriptions (platform, guild_id, channel_id, topics, cadence, weekday, "
        "at_time, timezone, post_empty, created_by, created_at, next_run_utc, include_words, "
        "exclude_words, domains) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET "
        "include_words = excluded.include_words, exclude_words = excluded.exclude_words, "
        "domains = excluded.domains, "
        "topics = excluded.topics, cadence = excluded.cadence, weekday = excluded.weekday, "
        "at_time = excluded.at_time, timezone = excluded.timezone, "
        "post_empty = excluded.post_empty, next_run_utc = excluded.next_run_utc, "
        "status = 'active', paused_reason = NULL, paused_at = NULL, last_error = NULL, "
        "waiting_for = NULL, "
        "updated_by = excluded.created_by, updated_at = excluded.created_at",
        values,
    )
    row = await w.fetchone("SELECT id FROM subscriptions WHERE channel_id = ?", (new.channel_id,))
    assert row is not None
    return int(row["id"])


async def delete_subscription(w: DbWriter, sub_id: int) -> None:
    """Remove a subscription and its ledger."""
    await w.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))


ABANDONED_ON_PAUSE = "abandoned: the subscription was paused before every part was posted"


async def pause_subscription(w: DbWriter, sub_id: int, reason: str, at: str) -> None:
    """Stop scheduling a subscription, keeping why. Its unfinished delivery is abandoned
    (recorded in the ledger): on resume a fresh digest is composed, never weeks-old parts."""
    await w.execute(
        "UPDATE subscriptions SET status = 'paused', paused_reason = ?, paused_at = ?, "
        "last_error = ? WHERE id = ?",
        (reason, at, reason, sub_id),
    )
    await abandon_open_deliveries(w, sub_id, at, ABANDONED_ON_PAUSE)


async def set_next_run(w: DbWriter, sub_id: int, next_run: datetime) -> None:
    """Move the subscription's next run."""
    await w.execute(
        "UPDATE subscriptions SET next_run_utc = ? WHERE id = ?", (iso_utc(next_run), sub_id)
    )


async def set_last_error(w: DbWriter, sub_id: int, error: str | None) -> None:
    """Remember the last delivery problem (shown by /subscriptions)."""
    await w.execute("UPDATE subscriptions SET last_error = ? WHERE id = ?", (error, sub_id))


async def record_period_done(
    w: DbWriter,
    sub_id: int,
    *,
    period: str | None,
    delivered_at: str | None,
    covered_until: datetime,
    next_run: datetime,
) -> None:
    """Advance a subscription past a period (delivered, or skipped when `period` is None)."""
    if period is not None:
        await w.execute(
            "UPDATE subscriptions SET last_period = ?, last_delivered_at = ?, last_error = NULL "
            "WHERE id = ?",
            (period, delivered_at, sub_id),
        )
    await w.execute(
        "UPDATE subscriptions SET covered_until = ?, next_run_utc = ?, waiting_for = NULL "
        "WHERE id = ?",
        (iso_utc(covered_until), iso_utc(next_run), sub_id),
    )


# --- ledger ------------------------------------------------------------------------------


async def get_delivery(db: Db | DbWriter, sub_id: int, period: str) -> Delivery | None:
    """The ledger row of (subscription, period)."""
    row = await db.fetchone(
        "SELECT * FROM digest_deliveries WHERE subscription_id = ? AND period_key = ?",
        (sub_id, period),
    )
    return None if row is None else to_delivery(row)


async def open_delivery(db: Db | DbWriter, sub_id: int) -> Delivery | None:
    """The subscription's unfinished delivery ('sending'), if one exists."""
    row = await db.fetchone(
        "SELECT * FROM digest_deliveries WHERE subscription_id = ? AND state = 'sending' "
        "ORDER BY id LIMIT 1",
        (sub_id,),
    )
    return None if row is None else to_delivery(row)


async def open_delivery_subscription_ids(db: Db) -> list[int]:
    """Subscriptions with an unfinished delivery (interrupted by a crash or errors)."""
    rows = await db.fetchall(
        "SELECT DISTINCT d.subscription_id FROM digest_deliveries d JOIN subscriptions s "
        "ON s.id = d.subscription_id WHERE d.state = 'sending' AND s.status = 'active' "
        "ORDER BY d.subscription_id"
    )
    return [r[0] for r in rows]


async def insert_delivery(
    w: DbWriter,
    *,
    sub_id: int,
    channel_id: int,
    period: str,
    state: DeliveryState,
    parts: list[str],
    window_start: datetime,
    window_end: datetime,
    folded: tuple[str, ...],
    owner: str | None,
    lease_until: datetime | None,
    at: str,
    trigger: str,
    reference: str | None = None,
) -> Delivery | None:
    """Claim (subscription, period): the new row (fencing token 1), or None when the period
    already has one."""
    changed = await w.execute_rowcount(
        "INSERT INTO digest_deliveries (subscription_id, channel_id, period_key, state, attempts, "
        "parts, window_start, window_end, folded, lease_owner, lease_until, created_at, "
        "sent_at, trigger, reference, lease_token) "
        "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
        "ON CONFLICT (subscription_id, period_key) DO NOTHING",
        (
            sub_id,
            channel_id,
            period,
            state,
            json.dumps(parts),
            iso_utc(window_start),
            iso_utc(window_end),
            json.dumps(list(folded)),
            owner,
            None if lease_until is None else iso_utc(lease_until),
            at,
            at if state != "sending" else None,
            trigger,
            reference,
        ),
    )
    if not changed:
        return None
    return await get_delivery(w, sub_id, period)


_FENCED = "id = ? AND state = 'sending' AND lease_owner = ? AND lease_token = ?"


def _fence(delivery_id: int, fence: Fence) -> tuple[int, str, int]:
    return (delivery_id, fence.owner, fence.token)


async def take_lease(
    w: DbWriter, delivery_id: int, owner: str, until: datetime, *, seen_token: int
) -> Fence | None:
    """Take over an unfinished delivery (a new attempt) with the next fencing token; None
    when someone else changed it since `seen_token` was read."""
    changed = await w.execute_rowcount(
        "UPDATE digest_deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
        "lease_token = lease_token + 1 WHERE id = ? AND state = 'sending' AND lease_token = ?",
        (owner, iso_utc(until), delivery_id, seen_token),
    )
    return Fence(owner, seen_token + 1) if changed else None


async def holds_fence(db: Db | DbWriter, delivery_id: int, fence: Fence) -> bool:
    """Whether `fence` still holds the open delivery (read only)."""
    row = await db.fetchone(
        f"SELECT 1 FROM digest_deliveries WHERE {_FENCED}", _fence(delivery_id, fence)
    )
    return row is not None


async def renew_lease(w: DbWriter, delivery_id: int, fence: Fence, until: datetime) -> bool:
    """Extend a held lease; False when the fence was lost (taken over, or abandoned)."""
    changed = await w.execute_rowcount(
        f"UPDATE digest_deliveries SET lease_until = ? WHERE {_FENCED}",
        (iso_utc(until), *_fence(delivery_id, fence)),
    )
    return changed > 0


async def record_part(
    w: DbWriter, delivery_id: int, fence: Fence, message_ids: list[int], lease_until: datetime
) -> bool:
    """One more part posted; False when the fence was lost (nothing written)."""
    changed = await w.execute_rowcount(
        "UPDATE digest_deliveries SET parts_sent = ?, message_ids = ?, lease_until = ? "
        f"WHERE {_FENCED}",
        (
            len(message_ids),
            json.dumps([str(m) for m in message_ids]),
            iso_utc(lease_until),
            *_fence(delivery_id, fence),
        ),
    )
    return changed > 0


async def finish_delivery(
    w: DbWriter,
    delivery_id: int,
    fence: Fence,
    state: DeliveryState,
    at: str,
    error: str | None = None,
) -> bool:
    """Close a held delivery: sent, or failed with the reason. False when the fence was lost."""
    changed = await w.execute_rowcount(
        "UPDATE digest_deliveries SET state = ?, sent_at = ?, lease_until = NULL, error = ? "
        f"WHERE {_FENCED}",
        (state, at, error, *_fence(delivery_id, fence)),
    )
    return changed > 0


async def give_up_delivery(
    w: DbWriter, delivery_id: int, seen_token: int, at: str, error: str
) -> bool:
    """Close an unfinished delivery nobody holds (its retry budget is used up)."""
    changed = await w.execute_rowcount(
        "UPDATE digest_deliveries SET state = 'failed', sent_at = ?, lease_until = NULL, "
        "error = ?, lease_token = lease_token + 1 "
        "WHERE id = ? AND state = 'sending' AND lease_token = ?",
        (at, error, delivery_id, seen_token),
    )
    return changed > 0


async def release_lease(
    w: DbWriter, delivery_id: int, fence: Fence, error: str, *, failed: bool = True
) -> bool:
    """Give up an attempt for now (Discord kept failing: one failure more, unless `failed`
    is off); a later sweep retries. False when the fence was lost."""
    changed = await w.execute_rowcount(
        "UPDATE digest_deliveries SET lease_owner = NULL, lease_until = NULL, error = ?, "
        f"failures = failures + ? WHERE {_FENCED}",
        (error, int(failed), *_fence(delivery_id, fence)),
    )
    return changed > 0


async def abandon_open_deliveries(w: DbWriter, sub_id: int, at: str, reason: str) -> int:
    """Close a subscription's unfinished delivery without posting the rest (it was paused):
    its stored parts go stale, so a resumed subscription composes afresh. Bumping the token
    fences out a holder still posting."""
    return await w.execute_rowcount(
        "UPDATE digest_deliveries SET state = 'failed', sent_at = ?, lease_until = NULL, "
        "error = ?, lease_token = lease_token + 1 WHERE subscription_id = ? AND state = 'sending'",
        (at, reason, sub_id),
    )


async def deliveries(db: Db, sub_id: int) -> list[Delivery]:
    """Every ledger row of a subscription, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM digest_deliveries WHERE subscription_id = ? ORDER BY id", (sub_id,)
    )
    return [to_delivery(r) for r in rows]


# --- who leads delivery (per platform) ---------------------------------------------------


async def delivery_leader(
    db: Db | DbWriter, platform: Platform
) -> tuple[str, datetime, int] | None:
    """(owner, lease_until, token) of the process leading `platform`'s delivery, if any."""
    row = await db.fetchone(
        "SELECT owner, lease_until, token FROM delivery_leaders WHERE platform = ?", (platform,)
    )
    return None if row is None else (row["owner"], parse_utc(row["lease_until"]), row["token"])


async def take_leadership(
    w: DbWriter, platform: Platform, owner: str, until: datetime, *, seen_token: int
) -> bool:
    """Lead (or keep leading) `platform`'s delivery until `until`; False when someone else
    changed its leader since `seen_token` was read (0: nobody led)."""
    if seen_token == 0:
        changed = await w.execute_rowcount(
            "INSERT INTO delivery_leaders (platform, owner, lease_until, token) "
            "VALUES (?, ?, ?, 1) ON CONFLICT (platform) DO NOTHING",
            (platform, owner, iso_utc(until)),
        )
        return changed > 0
    changed = await w.execute_rowcount(
        "UPDATE delivery_leaders SET owner = ?, lease_until = ?, "
        "token = token + CASE WHEN owner = ? THEN 0 ELSE 1 END WHERE platform = ? AND token = ?",
        (owner, iso_utc(until), owner, platform, seen_token),
    )
    return changed > 0


async def seize_leadership(w: DbWriter, platform: Platform, owner: str, until: datetime) -> int:
    """Record `owner` as `platform`'s leader with a new fencing token, whoever led before
    (the caller holds the platform's lock, which makes it the leader); returns the token."""
    return await w.execute(
        "INSERT INTO delivery_leaders (platform, owner, lease_until, token) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (platform) DO UPDATE SET owner = excluded.owner, "
        "lease_until = excluded.lease_until, token = delivery_leaders.token + 1 RETURNING token",
        (platform, owner, iso_utc(until)),
    )


async def leads_with_token(w: DbWriter, platform: Platform, owner: str, token: int) -> bool:
    """Whether `owner` still leads `platform` under the fencing token it took the lead with
    (read inside the write transaction it fences)."""
    row = await w.fetchone(
        "SELECT 1 FROM delivery_leaders WHERE platform = ? AND owner = ? AND token = ?",
        (platform, owner, token),
    )
    return row is not None


async def leads_delivery(db: Db | DbWriter, platform: Platform, owner: str) -> bool:
    """Whether `owner` is the process leading `platform`'s delivery now."""
    row = await db.fetchone(
        "SELECT 1 FROM delivery_leaders WHERE platform = ? AND owner = ?", (platform, owner)
    )
    return row is not None


async def give_up_leadership(w: DbWriter, platform: Platform, owner: str) -> None:
    """Step down (a graceful stop): the lead is free for another process at once."""
    await w.execute(
        "DELETE FROM delivery_leaders WHERE platform = ? AND owner = ?", (platform, owner)
    )


async def subscription_platforms(db: Db, sub_ids: list[int]) -> dict[int, Platform]:
    """The platform of each of `sub_ids` that exists."""
    found: dict[int, Platform] = {}
    for start in range(0, len(sub_ids), 500):
        chunk = sub_ids[start : start + 500]
        rows = await db.fetchall(
            f"SELECT id, platform FROM subscriptions WHERE id IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        )
        found.update((r["id"], cast(Platform, r["platform"])) for r in rows)
    return found


async def set_waiting_for(w: DbWriter, sub_id: int, platform: Platform | None) -> None:
    """Record (or clear) that the subscription waits for a process serving `platform`."""
    await w.execute("UPDATE subscriptions SET waiting_for = ? WHERE id = ?", (platform, sub_id))
