"""The APScheduler side: jobs derived from the table, a real job firing once, catch-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.digests.building import DigestBuilder
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.scheduler import DigestScheduler, job_id
from bot.core.rendering import Renderer
from bot.core.subscriptions import SubscriptionService
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.harness.fake_poster import FakePoster, FakeTimer
from tests.helpers import MOD_A, SCOPE_A


class ShiftedClock:
    """Real time, shifted to a chosen 'now' (so a real scheduler can fire on it)."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def set(self, start: datetime) -> None:
        """Make `start` be now (from this moment on)."""
        self.offset = start - datetime.now(UTC)


def build(db: Database, clock: ShiftedClock) -> tuple[DigestScheduler, FakePoster]:
    poster = FakePoster()
    engine = DeliveryEngine(
        db, poster, DigestBuilder(db, Renderer("discord")), clock, timer=FakeTimer()
    )
    return DigestScheduler(engine, db, clock, sweep_seconds=0), poster


async def test_jobs_are_derived_from_the_table(empty_db: Database) -> None:
    clock = ShiftedClock(datetime(2023, 5, 1, 9, 30, tzinfo=UTC))
    subs = SubscriptionService(empty_db, clock)
    a = (await subs.subscribe(MOD_A, SCOPE_A, 1)).subscription
    b = (await subs.subscribe(MOD_A, SCOPE_A, 2, cadence="daily")).subscription
    scheduler, _ = build(empty_db, clock)
    await scheduler.start()
    try:
        jobs = scheduler.jobs()
        assert set(jobs) == {a.id, b.id}
        # Translated to real time: Monday 8 May 09:00 is ~6 days 23.5 h from "now".
        delay = jobs[a.id] - datetime.now(UTC)
        assert (
            timedelta(days=6, hours=23, minutes=29)
            < delay
            < timedelta(days=6, hours=23, minutes=31)
        )
        job = scheduler.scheduler.get_job(job_id(a.id))
        assert job.misfire_grace_time is None and job.coalesce is True and job.max_instances == 1
        async with empty_db.transaction() as w:
            await store.pause_subscription(w, a.id, "test", "2023-05-01T00:00:00Z")
        await scheduler.refresh(a.id)
        assert set(scheduler.jobs()) == {b.id}
        await scheduler.rebuild()
        assert set(scheduler.jobs()) == {b.id}
    finally:
        scheduler.shutdown()


async def test_a_real_job_fires_once_and_schedules_the_next_period(empty_db: Database) -> None:
    clock = ShiftedClock(datetime(2023, 5, 1, 8, 0, tzinfo=UTC))
    sub = (
        await SubscriptionService(empty_db, clock).subscribe(
            MOD_A, SCOPE_A, 7, cadence="daily", post_empty=True
        )
    ).subscription
    scheduler, poster = build(empty_db, clock)
    # "Now" is 0.3 s before the daily 09:00 delivery as the scheduler starts, however long
    # the setup above took on a loaded machine.
    clock.set(datetime(2023, 5, 1, 8, 59, 59, 700000, tzinfo=UTC))
    await scheduler.start()
    try:
        for _ in range(200):  # normally ~0.3 s; up to 10 s on a loaded machine
            await asyncio.sleep(0.05)
            if scheduler.outcomes:
                break
        await asyncio.sleep(0.2)
        assert [o.kind for o in scheduler.outcomes] == ["sent"]
        assert len(poster.messages(7)) == 1
        after = await store.get_subscription(empty_db, sub.id)
        assert after is not None and after.next_run == datetime(2023, 5, 2, 9, tzinfo=UTC)
        assert sub.id in scheduler.jobs()
    finally:
        scheduler.shutdown()


async def test_catch_up_at_start_delivers_overdue_subscriptions_once(empty_db: Database) -> None:
    start = datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
    subs = SubscriptionService(empty_db, ShiftedClock(start))
    sub = (await subs.subscribe(MOD_A, SCOPE_A, 9, post_empty=True)).subscription
    clock = ShiftedClock(start + timedelta(days=15))  # the bot was down over two Mondays
    scheduler, poster = build(empty_db, clock)
    await scheduler.start()
    try:
        assert scheduler.jobs() == {}  # overdue: no job, the catch-up handles it
        outcomes = await scheduler.catch_up()
        assert [(o.kind, o.period) for o in outcomes] == [("sent", "2023-W20")]
        assert await scheduler.catch_up() == []
        assert len(poster.messages(9)) == 1
        assert sub.id in scheduler.jobs()
    finally:
        scheduler.shutdown()
