"""The digest sender on PostgreSQL (issue 22 item 4): one sender per platform held by a
session advisory lock, a standby that takes over when the holder's session ends, a holder
that stops the moment its own session is gone and retakes when it can, and ledger writes
fenced by the lead's token."""

from __future__ import annotations

from typing import Any

from bot.core.digests.advisory import AdvisoryLeadership, AdvisoryLiveness, sender_key
from bot.core.digests.scheduler import WATCH_ID, DigestScheduler
from storage import subscriptions as store
from storage.postgres.locks import is_held
from tests.core.digests.test_delivery import CH1, CH2, World, bodies, many_developments, utc
from tests.harness.fake_poster import FakePoster


class AfterPost(FakePoster):
    """Runs `then` (once) right after the `at`-th post lands: the moment a process loses
    something between two parts."""

    def __init__(self, at: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.at = at
        self.then: Any = None

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        message_id = await super().send(channel_id, content, nonce=nonce, first_id=first_id)
        if self.total == self.at and self.then is not None:
            then, self.then = self.then, None
            await then()
        return message_id


async def test_one_sender_per_platform_and_a_standby_takes_over_when_it_dies(
    pg_world: World,
) -> None:
    world = pg_world
    await world.subscribe(CH1, post_empty=True)
    await world.subscribe(CH2, post_empty=True)
    standby = world.new_engine()
    world.clock.now = utc(2023, 5, 8, 9)
    assert {o.kind for o in await world.engine.run_due()} == {"sent"}
    assert not await standby.watch()  # the holder lives: nothing to take
    world.clock.now = utc(2023, 5, 15, 9)
    assert {o.kind for o in await standby.run_due()} == {"standby"}
    await world.kill(world.engine)  # kill -9: the server frees its session's locks
    assert await standby.watch()  # the standby's next watch takes both senders
    assert {o.kind for o in await standby.run_due()} == {"sent"}
    assert len(bodies(world.poster, CH1)) == len(bodies(world.poster, CH2)) == 2
    for platform in ("discord", "telegram"):
        assert await is_held(world.db, sender_key(platform))
        leader = await store.delivery_leader(world.db, platform)
        assert leader is not None and leader[0] == standby.owner


async def test_the_scheduler_watches_often_enough_to_take_over_within_ten_seconds(
    pg_world: World,
) -> None:
    scheduler = DigestScheduler(world_engine := pg_world.engine, pg_world.db, pg_world.clock)
    await scheduler.start()
    try:
        job = scheduler.scheduler.get_job(WATCH_ID)
        assert job is not None and job.trigger.interval.total_seconds() <= 5
        assert world_engine.watch_seconds is not None and world_engine.watch_seconds <= 5
    finally:
        scheduler.shutdown()


async def test_a_sender_whose_session_drops_stops_at_once_and_retakes_when_it_can(
    pg_world: World,
) -> None:
    world = pg_world
    world.poster = poster = AfterPost(1, timer=world.timer)
    world.engine = world.new_engine()
    sub = await world.subscribe(CH1, post_empty=True)
    await many_developments(world, 30)  # three or more parts
    first_owner = world.engine.owner

    async def drop() -> None:
        await world.drop_lock_session(world.engine)

    poster.then = drop
    world.clock.now = utc(2023, 5, 8, 9)
    assert [o.kind for o in await world.engine.run_due()] == ["superseded"]
    assert len(bodies(poster, CH1)) == 1  # nothing after the session dropped
    (row,) = await world.ledger(sub.id)
    # Without its lock it may not even record the part that landed: the resume finds it.
    assert row.state == "sending" and row.parts_sent == 0
    # Its next watch opens a new session under a new owner id and takes the sender back;
    # the sweep that follows finishes the delivery its former self left.
    assert await world.engine.watch()
    assert world.engine.owner != first_owner
    assert [(o.kind, o.resumed) for o in await world.engine.run_due()] == [("sent", True)]
    (row,) = await world.ledger(sub.id)
    assert row.state == "sent" and bodies(poster, CH1) == list(row.parts)  # each part once


async def test_a_former_sender_cannot_write_the_ledger_once_another_took_the_lead(
    pg_world: World,
) -> None:
    """The lead's token fences each write: a holder whose lock went (and was taken by
    another) before its client noticed records nothing, in the same transaction."""
    world = pg_world
    world.poster = poster = AfterPost(1, timer=world.timer)
    world.engine = world.new_engine()
    sub = await world.subscribe(CH1, post_empty=True)
    await many_developments(world, 30)

    async def taken_over() -> None:
        # What another process's takeover writes when it takes the sender's lock.
        async with world.db.transaction() as w:
            await store.seize_leadership(w, "discord", "another-process", world.clock())

    poster.then = taken_over
    world.clock.now = utc(2023, 5, 8, 9)
    assert [o.kind for o in await world.engine.run_due()] == ["superseded"]
    (row,) = await world.ledger(sub.id)
    assert row.parts_sent == 0 and row.message_ids == ()  # part 1 was not recorded
    assert len(bodies(poster, CH1)) == 1


async def test_a_graceful_stop_hands_the_sender_over_at_once(pg_world: World) -> None:
    world = pg_world
    await world.subscribe(CH1, post_empty=True)
    world.clock.now = utc(2023, 5, 8, 9)
    assert [o.kind for o in await world.engine.run_due()] == ["sent"]
    await world.engine.stop_sending("discord")
    await world.engine.aclose()
    other = world.new_engine()
    world.clock.now = utc(2023, 5, 15, 9)
    assert [o.kind for o in await other.run_due()] == ["sent"]
    assert isinstance(other.leadership, AdvisoryLeadership)
    assert isinstance(other.liveness, AdvisoryLiveness)
    assert other.liveness.alive(world.engine.owner) is False
