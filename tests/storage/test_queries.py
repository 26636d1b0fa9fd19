"""The storage query modules on both backends (`any_empty_db`: SQLite, then PostgreSQL):
the delivery ledger's claims and fencing, the per-platform leader, settings, scope moves,
vectors and RETURNING, read back through the same functions on either database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.schedule import Schedule
from bot.domain.scope import Scope
from bot.domain.settings import ScopeSettings
from bot.domain.subscriptions import Fence
from storage import catalogue, scopes, settings, subscriptions, vectors
from storage.contract import Db
from tests.helpers import draft

AT = "2023-05-01T09:30:00Z"
NOW = datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
OLD = Scope("telegram", -100)
NEW = Scope("telegram", -1001234567890)


async def _subscribe(db: Db, scope: Scope, channel_id: int) -> int:
    async with db.transaction() as w:
        return await subscriptions.upsert_subscription(
            w,
            subscriptions.NewSubscription(
                scope=scope,
                channel_id=channel_id,
                topics=("japan-korea",),
                schedule=Schedule(),
                post_empty=False,
                actor="mod",
                at=AT,
                next_run=NOW,
            ),
        )


async def _open_delivery(db: Db, sub_id: int, channel_id: int, period: str) -> int:
    async with db.transaction() as w:
        made = await subscriptions.insert_delivery(
            w,
            sub_id=sub_id,
            channel_id=channel_id,
            period=period,
            state="sending",
            parts=["one", "two"],
            window_start=NOW - timedelta(days=7),
            window_end=NOW,
            folded=(),
            owner="a",
            lease_until=NOW + timedelta(minutes=1),
            at=AT,
            trigger="schedule",
        )
    assert made is not None
    return made.id


async def test_a_period_is_claimed_once_and_a_stale_holder_is_fenced_out(
    any_empty_db: Db,
) -> None:
    db = any_empty_db
    sub_id = await _subscribe(db, Scope("discord", 1), 10)
    assert await _subscribe(db, Scope("discord", 1), 10) == sub_id  # the same channel: updated
    delivery_id = await _open_delivery(db, sub_id, 10, "2023-W18")
    async with db.transaction() as w:
        again = await subscriptions.insert_delivery(
            w,
            sub_id=sub_id,
            channel_id=10,
            period="2023-W18",
            state="sending",
            parts=[],
            window_start=NOW,
            window_end=NOW,
            folded=(),
            owner="b",
            lease_until=None,
            at=AT,
            trigger="schedule",
        )
    assert again is None
    first = Fence("a", 1)
    async with db.transaction() as w:
        taken = await subscriptions.take_lease(
            w, delivery_id, "b", NOW + timedelta(minutes=2), seen_token=1
        )
    assert taken == Fence("b", 2)
    async with db.transaction() as w:
        assert not await subscriptions.record_part(w, delivery_id, first, [111], NOW)
        assert await subscriptions.record_part(w, delivery_id, taken, [111, 222], NOW)
        assert await subscriptions.finish_delivery(w, delivery_id, taken, "sent", AT)
    (done,) = await subscriptions.deliveries(db, sub_id)
    assert (done.state, done.parts_sent, done.message_ids) == ("sent", 2, (111, 222))
    assert await subscriptions.open_delivery_subscription_ids(db) == []


async def test_leadership_passes_with_a_new_token_only_to_a_new_owner(any_empty_db: Db) -> None:
    db = any_empty_db
    until = NOW + timedelta(seconds=30)
    async with db.transaction() as w:
        assert await subscriptions.take_leadership(w, "telegram", "a", until, seen_token=0)
        assert not await subscriptions.take_leadership(w, "telegram", "b", until, seen_token=0)
        assert await subscriptions.take_leadership(w, "telegram", "a", until, seen_token=1)
    assert await subscriptions.delivery_leader(db, "telegram") == ("a", until, 1)
    async with db.transaction() as w:
        assert await subscriptions.take_leadership(w, "telegram", "b", until, seen_token=1)
    assert await subscriptions.delivery_leader(db, "telegram") == ("b", until, 2)
    assert await subscriptions.leads_delivery(db, "telegram", "b")


async def test_a_moved_scope_keeps_the_new_scope_s_own_settings_and_subscription(
    any_empty_db: Db,
) -> None:
    db = any_empty_db
    await _subscribe(db, OLD, OLD.id)
    kept = await _subscribe(db, NEW, NEW.id)
    async with db.transaction() as w:
        await settings.put_scope_settings(w, ScopeSettings(OLD, "Asia/Tokyo"), actor="mod", at=AT)
        await settings.put_scope_settings(w, ScopeSettings(NEW, "Asia/Seoul"), actor="mod", at=AT)
        await catalogue.insert_development(w, draft(title="Owned"), scope=OLD, actor="mod", at=AT)
        moved = await scopes.move_scope(w, OLD, NEW)
    assert moved["developments"] == 1
    assert moved["subscription channels"] == 0  # the new chat's own subscription wins
    assert moved["scope_settings"] == 0
    assert (await settings.get_scope_settings(db, NEW)).timezone == "Asia/Seoul"
    assert [s.id for s in await subscriptions.scope_subscriptions(db, NEW)] == [kept]
    assert await subscriptions.subscription_for_channel(db, OLD.id) is None


async def test_counts_and_ids_read_the_same_on_both_backends(any_empty_db: Db) -> None:
    db = any_empty_db
    async with db.transaction() as w:
        first = await catalogue.insert_development(
            w, draft(title="A"), scope=None, actor="ed", at=AT
        )
        second = await catalogue.insert_development(
            w,
            draft(
                title="B",
                sources="https://example.org/b | Example | B\nhttps://example.org/c | Ex | C",
            ),
            scope=Scope("discord", 5),
            actor="ed",
            at=AT,
        )
        await catalogue.retract_development(w, first, "wrong", actor="ed", at=AT)
    assert second == first + 1
    counts = await catalogue.catalogue_counts(db)
    assert counts == {
        "total": 2,
        "global_published": 0,
        "server_published": 1,
        "retracted": 1,
        "sources": 3,
    }
    assert await catalogue.autocomplete_ids(db, str(first), Scope("discord", 5)) == [(first, "A")]
    fingerprint = await catalogue.window_fingerprint(db, "2023-05-01", "2023-05-02")
    assert fingerprint[:2] == (2, first + second)
    assert await catalogue.count_topic(db, "japan-korea", None, since=None, until=None) == 0


async def test_a_vector_is_replaced_in_write_order(any_empty_db: Db) -> None:
    db = any_empty_db
    async with db.transaction() as w:
        dev_id = await catalogue.insert_development(
            w, draft(title="V"), scope=None, actor="ed", at=AT
        )
        await vectors.put_vector(w, dev_id, "m", 0.5, b"\x01\x02")
        await vectors.put_vector(w, dev_id, "m", 0.25, b"\x03")
    (row,) = await vectors.vectors_since(db, 0, "m")
    assert (row["development_id"], row["scale"], bytes(row["vector"]), row["seq"]) == (
        dev_id,
        0.25,
        b"\x03",
        2,
    )


async def test_returning_gives_the_new_id_and_zero_when_nothing_was_written(
    any_empty_db: Db,
) -> None:
    async with any_empty_db.transaction() as w:
        sql = (
            "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING RETURNING 7"
        )
        assert await w.execute(sql, ("starter", AT)) == 7
        assert await w.execute(sql, ("starter", AT)) == 0
