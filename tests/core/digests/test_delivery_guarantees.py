"""Issue 10: the paths that posted twice or never — fencing between processes, stale parts,
windows versus slow writers, the shared fan-out cap, one retry budget, pauses racing
/subscribe, crash loops, half-posted give-ups and state that must stay bounded."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.core.catalogue import Catalogue
from bot.core.digests.building import DigestBuilder
from bot.core.digests.delivery import ChannelForbidden, RejectedError
from bot.core.digests.liveness import Liveness
from bot.core.digests.pacing import PacingConfig, RetryPolicy
from bot.core.digests.schedule import DuePlan
from bot.core.digests.scheduler import RECENT_OUTCOMES, DigestScheduler
from bot.core.rendering import Renderer
from bot.domain.subscriptions import Fence, Subscription
from storage import subscriptions as store
from storage.postgres.database import PostgresDatabase
from storage.sqlite.database import Database
from tests.core.digests.test_delivery import (
    CH1,
    CH2,
    World,
    bodies,
    crash_on,
    crashed,
    many_developments,
    restart,
    utc,
)
from tests.harness.fake_poster import FakePoster, server_error
from tests.helpers import EDITOR, FixedClock, draft

# --- 1. fencing ----------------------------------------------------------------------------


class StallingPoster(FakePoster):
    """Holds the `stall_at`-th post (counting every post) until released: a process whose
    loop stalled, or a VM paused, between two parts."""

    def __init__(self, stall_at: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stall_at = stall_at
        self.sends = 0
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        self.sends += 1
        if self.sends == self.stall_at:
            self.stalled.set()
            await self.release.wait()
        return await super().send(channel_id, content, nonce=nonce, first_id=first_id)


async def test_a_stalled_holder_is_fenced_out_and_never_posts_again(world: World) -> None:
    world.poster.nonce_window = 300.0
    sub = await world.subscribe(post_empty=True)
    await many_developments(world, 30)  # three or more parts
    stalled, release = asyncio.Event(), asyncio.Event()
    pacer = world.engine.pacer
    acquire = pacer.acquire
    calls = 0

    async def stalling_acquire(key: int) -> None:
        # The holder stalls between parts (a blocked loop, a paused VM), part 1 recorded.
        nonlocal calls
        calls += 1
        if calls == 2:
            stalled.set()
            await release.wait()
        await acquire(key)

    pacer.acquire = stalling_acquire  # type: ignore[method-assign]
    world.clock.now = utc(2023, 5, 8, 9)
    holder = asyncio.create_task(world.engine.run_due())
    await stalled.wait()
    if world.db.dialect == "postgresql":
        # A live session is never taken for dead: here the holder's lock session is dropped
        # (a network failure) while it stalls, and the server frees its locks.
        await world.drop_lock_session(world.engine)
    world.timer.now += 3600  # an hour: far beyond Discord's nonce window
    world.clock.now += timedelta(minutes=25)  # and beyond the lease and its grace
    other = world.new_engine()
    assert [(o.kind, o.resumed) for o in await other.run_due()] == [("sent", True)]
    world.timer.now += 3600  # the stalled holder wakes long after: no nonce saves us now
    release.set()
    assert [o.kind for o in await holder] == ["superseded"]
    (row,) = await world.ledger(sub.id)
    assert row.state == "sent" and row.lease_token == 2 and row.lease_owner == other.owner
    assert bodies(world.poster, CH1) == list(row.parts)  # each part once
    assert [m.id for m in world.poster.messages(CH1)] == list(row.message_ids)


async def test_a_stale_holder_cannot_record_or_finish(world: World) -> None:
    sub = await world.subscribe(post_empty=True)
    world.poster.hook = crash_on("before", 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    (row,) = await world.ledger(sub.id)
    old = Fence(world.engine.owner, row.lease_token)
    await restart(world)
    async with world.db.transaction() as w:
        assert not await store.record_part(w, row.id, old, [1], world.clock())
        assert not await store.finish_delivery(w, row.id, old, "failed", "x", "stale")
        assert not await store.release_lease(w, row.id, old, "stale")
    (after,) = await world.ledger(sub.id)
    assert after.state == "sent" and after.error is None


async def test_catch_up_at_start_leaves_a_live_process_its_delivery(
    world: World, empty_db: Database
) -> None:
    """A second `briefbot run` (an overlapping deploy) used to take every open delivery over
    at start, live or not."""
    world.poster = StallingPoster(1, timer=world.timer)
    world.engine = world.new_engine()
    await world.subscribe(post_empty=True)
    world.clock.now = utc(2023, 5, 8, 9)
    first = asyncio.create_task(world.engine.run_due())
    await world.poster.stalled.wait()
    second = DigestScheduler(world.new_engine(), world.db, world.clock, sweep_seconds=0)
    assert [o.kind for o in await second.catch_up()] == ["standby"]
    # Even without the lead, its delivery is busy for anyone else.
    assert (await second.engine.deliver(1)).kind == "busy"
    world.poster.release.set()
    assert [o.kind for o in await first] == ["sent"]
    assert len(bodies(world.poster, CH1)) == 1


# --- 3. resume dedupe: the marker names the delivery --------------------------------------


async def test_a_message_of_an_earlier_delivery_of_the_period_is_not_taken_for_this_one(
    world: World,
) -> None:
    sub = await world.subscribe(post_empty=True)
    world.clock.now = utc(2023, 5, 3, 10)
    assert (await world.engine.send_now(sub.id)).period == "2023-W19"  # /digest send-now
    async with world.db.transaction() as w:
        await store.delete_subscription(w, sub.id)  # /unsubscribe
    again = await world.subscribe(post_empty=True)  # /subscribe, same week
    world.poster.hook = crash_on("before", 2)  # dies before the new part reaches Discord
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    await restart(world)
    (row,) = await world.ledger(again.id)
    assert row.state == "sent" and row.period == "2023-W19"
    # The new delivery's part was posted, not mistaken for the first delivery's message.
    assert len(bodies(world.poster, CH1)) == 2
    assert row.message_ids[0] == world.poster.messages(CH1)[1].id


# --- 4. stale parts -----------------------------------------------------------------------


async def test_pausing_abandons_the_open_delivery_and_resume_composes_afresh(
    world: World,
) -> None:
    sub = await world.subscribe(post_empty=True)
    world.poster.hook = crash_on("before", 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    async with world.db.transaction() as w:  # what a channel or thread deletion does
        await store.pause_subscription(w, sub.id, "The channel was deleted.", "2023-05-08")
    (row,) = await world.ledger(sub.id)
    assert row.state == "failed" and "abandoned" in (row.error or "")
    world.clock.now = utc(2023, 5, 30)
    await world.add("Weeks later: Seoul and Tokyo sign a fresh accord")
    world.clock.now = utc(2023, 6, 1)
    await world.subscribe(post_empty=True)  # /subscribe resumes
    await restart(world)
    world.clock.now = utc(2023, 6, 5, 9)
    await world.engine.run_due()
    rows = await world.ledger(sub.id)
    assert rows[0].state == "failed" and "abandoned" in (rows[0].error or "")
    assert "fresh accord" in "".join(bodies(world.poster, CH1))
    assert not any(p in bodies(world.poster, CH1) for p in rows[0].parts)


# --- 5. windows versus slow writers -------------------------------------------------------


async def test_a_row_committed_while_a_digest_is_composed_is_not_lost(
    world: World, tmp_path: Path
) -> None:
    """Another process (an import) stamps a row before the period ends and commits it while
    the digest is being composed: the next window starts after the stamp, so the row used
    to fall outside every window."""
    db = world.db
    assert isinstance(db, Database | PostgresDatabase)
    where = db.url if isinstance(db, PostgresDatabase) else db.path
    sub = await world.subscribe()
    builder = DigestBuilder(world.db, Renderer("discord"))
    committed = False

    async def compose(s: Subscription, plan: DuePlan) -> list[str]:
        nonlocal committed
        parts = await builder(s, plan)
        if not committed:
            committed = True
            importer = await Database.open(where)
            try:
                slow = Catalogue(importer, FixedClock(utc(2023, 5, 8, 8, 59)))
                await slow.add(EDITOR, draft(title="Imported just before nine"), scope="global")
            finally:
                await importer.close()
        return parts

    world.engine = world.new_engine(compose=compose)
    world.clock.now = utc(2023, 5, 8, 9)
    await world.engine.run_due()
    world.clock.now = utc(2023, 5, 15, 9)
    await world.engine.run_due()
    posted = "".join(bodies(world.poster, CH1))
    assert posted.count("Imported just before nine") == 1
    assert len(await world.ledger(sub.id)) == 2


# --- 6. scheduled fires share the cap ----------------------------------------------------


async def test_scheduled_jobs_firing_together_respect_the_concurrency_cap(
    world: World,
) -> None:
    builder = DigestBuilder(world.db, Renderer("discord"))
    active = 0
    peak = 0

    async def compose(s: Subscription, plan: DuePlan) -> list[str]:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)  # composing takes a while: the others catch up meanwhile
        active -= 1
        return await builder(s, plan)

    world.engine = world.new_engine(compose=compose, pacing=PacingConfig(concurrency=3))
    subs = [await world.subscribe(channel, post_empty=True) for channel in range(500, 520)]
    scheduler = DigestScheduler(world.engine, world.db, world.clock, sweep_seconds=0)
    world.clock.now = utc(2023, 5, 8, 9)
    outcomes = await asyncio.gather(*(scheduler.fire(s.id) for s in subs))
    assert {o.kind for o in outcomes} == {"sent"}
    assert 1 < peak <= 3


# --- 7. one retry budget ------------------------------------------------------------------


async def test_a_part_that_keeps_failing_costs_one_post_per_attempt(world: World) -> None:
    await world.subscribe(CH1, post_empty=True)
    world.poster.fail(CH1, *[server_error() for _ in range(100)])
    kinds = []
    for minute in range(10):
        kinds += [o.kind for o in await world.at(utc(2023, 5, 8, 9, minute))]
    assert kinds.count("failed") == 1
    sends = [c for c in world.poster.calls if c == ("send", CH1)]
    # discord.py retries each request; the engine adds one post per attempt, 3 attempts.
    assert len(sends) == 3 == RetryPolicy().max_attempts


async def test_the_resume_lookup_is_paced_like_a_post(world: World) -> None:
    await world.subscribe(post_empty=True)
    world.poster.hook = crash_on("before", 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    world.timer.now += 60
    await restart(world)
    (found,) = world.poster.find_times
    (sent,) = world.poster.send_times[-1:]
    assert sent - found >= 1 / PacingConfig().channel_rate - 1e-6


# --- 8. pauses racing /subscribe, crash loops, half-posted give-ups --------------------


class ForbiddenWhileResubscribed(FakePoster):
    """Discord answers 403 while a moderator runs /subscribe again (and fixes permissions)."""

    def __init__(self, world: World, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.world = world

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        await self.world.subscribe(channel_id, post_empty=True, at="10:00")
        raise ChannelForbidden("403 Forbidden (error code: 50013): Missing Permissions")


async def test_a_pause_never_overwrites_a_concurrent_subscribe(world: World) -> None:
    world.poster = ForbiddenWhileResubscribed(world, timer=world.timer)
    world.engine = world.new_engine()
    sub = await world.subscribe(post_empty=True)
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert [o.kind for o in outcomes] == ["retry-later"]
    after = await store.get_subscription(world.db, sub.id)
    assert after is not None and after.active and after.paused_reason is None


async def test_a_crash_loop_does_not_use_up_the_retry_budget(world: World) -> None:
    sub = await world.subscribe(post_empty=True)
    world.clock.now = utc(2023, 5, 8, 9)
    for _ in range(RetryPolicy().max_attempts + 3):
        world.poster.hook = crash_on("before", 1)
        await world.kill(world.engine)
        world.engine = world.new_engine()
        await crashed(world)
    outcomes = await restart(world)
    assert [o.kind for o in outcomes] == ["sent"]
    (row,) = await world.ledger(sub.id)
    assert row.state == "sent" and row.failures == 0


class RejectsPart(FakePoster):
    def __init__(self, part: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.part = part

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        if f"part {self.part}/" in content:
            raise RejectedError("400 Bad Request (code 50035)")
        return await super().send(channel_id, content, nonce=nonce, first_id=first_id)


async def test_a_digest_given_up_half_posted_is_not_posted_again_next_period(
    world: World,
) -> None:
    world.poster = RejectsPart(2, timer=world.timer)
    world.engine = world.new_engine()
    sub = await world.subscribe(post_empty=True)
    assert [o.kind for o in await world.at(utc(2023, 5, 8, 9))] == ["sent"]  # a quiet week
    world.clock.now = utc(2023, 5, 9)
    for i in range(30):
        await world.add(f"Development number {i:02d} " + "with a long descriptive title " * 3)
    assert [o.kind for o in await world.at(utc(2023, 5, 15, 9))] == ["failed"]
    assert len(bodies(world.poster, CH1)) == 2  # the quiet week, then part 1 of this one
    after = await store.get_subscription(world.db, sub.id)
    assert after is not None and after.covered_until == utc(2023, 5, 15, 9)
    world.poster.part = 0
    await world.at(utc(2023, 5, 22, 9))
    later = bodies(world.poster, CH1)[2:]
    assert later and "Development number" not in "".join(later)


# --- 9. bounded state ---------------------------------------------------------------------


async def test_locks_pacers_and_outcomes_stay_bounded(world: World) -> None:
    scheduler = DigestScheduler(world.engine, world.db, world.clock, sweep_seconds=0)
    for channel in range(1000, 1400):
        await world.subscribe(channel, post_empty=True)
    world.clock.now = utc(2023, 5, 8, 9)
    await scheduler.sweep()
    assert len(world.engine.locks) == 0
    world.timer.now += 3600  # every channel's bucket refilled: forgettable
    await world.subscribe(CH2, post_empty=True)
    for _ in range(RECENT_OUTCOMES + 50):
        await scheduler.fire(1)
    assert len(scheduler.outcomes) == RECENT_OUTCOMES
    assert sum(scheduler.counts.values()) == 400 + RECENT_OUTCOMES + 50
    world.clock.now = utc(2023, 5, 15, 9)
    world.engine.pacer._prune_at = 0  # prune on the next new channel
    await scheduler.sweep()
    assert len(world.engine.pacer.channels) < 400


# --- two processes: one leads delivery ----------------------------------------------------


async def test_one_process_leads_delivery_and_the_lead_passes_when_it_dies(
    world: World,
) -> None:
    """Discord's 50 req/s are per bot: two processes pacing separately would double it."""
    await world.subscribe(CH1, post_empty=True)
    await world.subscribe(CH2, post_empty=True)
    other = world.new_engine()
    world.clock.now = utc(2023, 5, 8, 9)
    assert {o.kind for o in await world.engine.run_due()} == {"sent"}
    world.clock.now = utc(2023, 5, 15, 8, 59)
    world.timer.now += 7 * 86400  # a week on every clock; the leader's sweeps renew its lead
    assert await world.engine.run_due() == []
    world.clock.now = utc(2023, 5, 15, 9)
    assert {o.kind for o in await other.run_due()} == {"standby"}
    await world.kill(world.engine)  # the leading process dies
    assert {o.kind for o in await other.run_due()} == {"sent"}
    assert other.leads_taken == 2  # an engine on its own leads both platforms
    assert len(bodies(world.poster, CH1)) == len(bodies(world.poster, CH2)) == 2


async def test_a_process_that_lost_the_lead_claims_nothing_more(world: World) -> None:
    await world.subscribe(CH2, post_empty=True, cadence="daily", at="09:05")
    world.clock.now = utc(2023, 5, 2, 9, 5)
    assert [o.kind for o in await world.engine.run_due()] == ["sent"]
    # Another process took the lead (it found this one hung); this one has not noticed yet.
    other = world.new_engine()
    async with world.db.transaction() as w:
        await w.execute(
            "UPDATE delivery_leaders SET owner = ?, token = token + 1, lease_until = ?",
            (other.owner, "2023-05-04T00:00:00Z"),
        )
    world.clock.now = utc(2023, 5, 3, 9, 5)
    assert [o.kind for o in await world.engine.run_due()] == ["standby"]
    assert len(bodies(world.poster, CH2)) == 1


async def test_a_leader_whose_liveness_folder_was_removed_is_not_taken_for_dead(
    sqlite_world: World,
) -> None:
    """A tmp cleaner removes `<db>.owners`: the running leader is unknown, not dead, so
    nobody takes over its lead (and posts its digests a second time) while its lease runs;
    its next sweep registers it again."""
    world = sqlite_world
    await world.subscribe(CH1, post_empty=True, cadence="daily", at="09:05")
    await world.subscribe(CH2, post_empty=True, cadence="daily", at="09:06")
    world.clock.now = utc(2023, 5, 2, 9, 5)
    assert [o.kind for o in await world.engine.run_due()] == ["sent"]
    other = world.new_engine()
    assert isinstance(world.engine.liveness, Liveness)
    assert world.engine.liveness.directory is not None
    shutil.rmtree(world.engine.liveness.directory)
    world.clock.now = utc(2023, 5, 2, 9, 6)
    assert [o.kind for o in await other.run_due()] == ["standby"]
    assert [o.kind for o in await world.engine.run_due()] == ["sent"]
    assert other.liveness is not None and other.liveness.alive(world.engine.owner) is True
    assert len(bodies(world.poster, CH1)) == len(bodies(world.poster, CH2)) == 1
