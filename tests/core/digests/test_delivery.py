"""The delivery engine, driven by a fixed clock and an in-memory Discord: exactly once per
(subscription, period) across crashes at every step, DST, downtime, errors and pacing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import transfer
from bot.core.catalogue import Catalogue
from bot.core.digests.advisory import AdvisoryLiveness, owner_key
from bot.core.digests.building import DigestBuilder
from bot.core.digests.delivery import DeliveryEngine, Outcome
from bot.core.digests.pacing import PacingConfig, RetryPolicy, TokenBucket
from bot.core.digests.parts import nonce_for
from bot.core.rendering import Renderer
from bot.core.subscriptions import SubscriptionService
from bot.domain.subscriptions import Delivery
from storage import subscriptions as store
from storage.contract import Db
from storage.postgres.locks import is_held
from storage.sqlite.database import Database
from tests.harness.fake_poster import (
    Crash,
    FakePoster,
    FakeTimer,
    rate_limited,
    server_error,
)
from tests.helpers import EDITOR, MOD_A, SCOPE_A, FixedClock, draft, raw_development

CH1, CH2, CH3 = 301, 302, 303
# Monday 1 May 2023 09:30 UTC is the fixtures' "now".


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class World:
    """A database, a clock, subscriptions and an engine over a fake Discord."""

    def __init__(self, db: Db, clock: FixedClock, poster: FakePoster | None = None):
        self.db = db
        self.engines: list[DeliveryEngine] = []
        self.clock = clock
        self.timer = FakeTimer()
        self.poster = poster or FakePoster(timer=self.timer)
        self.subs = SubscriptionService(db, clock)
        self.catalogue = Catalogue(db, clock)
        self.engine = self.new_engine()

    def new_engine(self, **kwargs) -> DeliveryEngine:
        """A fresh engine: what a restarted process would build."""
        compose = kwargs.pop("compose", None) or DigestBuilder(self.db, Renderer("discord"))
        engine = DeliveryEngine(
            self.db,
            self.poster,
            compose,
            self.clock,
            timer=self.timer,
            **kwargs,
        )
        self.engines.append(engine)
        return engine

    async def kill(self, engine: DeliveryEngine) -> None:
        """The engine's process dies (its liveness lock dropped). On PostgreSQL the server
        frees the session's locks an instant after the connection ends: wait for that, as
        another process's next sweep would."""
        owner = engine.owner
        engine.close()
        await self.freed(engine, owner)

    async def drop_lock_session(self, engine: DeliveryEngine) -> None:
        """PostgreSQL: the server ends the engine's lock session (a network failure, an
        operator's pg_terminate_backend) while its process runs on."""
        assert isinstance(engine.liveness, AdvisoryLiveness)
        owner, pid = engine.owner, engine.liveness.session.backend_pid
        assert pid is not None
        assert await self.db.scalar("SELECT pg_terminate_backend(?)", (pid,))
        await self.freed(engine, owner)
        # The server frees the locks an instant before the end of the connection reaches
        # the client: wait until the process has seen it too.
        for _ in range(1000):
            if not engine.liveness.session.open:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the client never saw its lock session end")

    async def freed(self, engine: DeliveryEngine, owner: str) -> None:
        if isinstance(engine.liveness, AdvisoryLiveness):
            for _ in range(1000):
                if not await is_held(self.db, owner_key(owner)):
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("the server never freed the lost session's locks")

    async def close(self) -> None:
        """Every engine's lock session ends with the test."""
        for engine in self.engines:
            engine.close()

    async def subscribe(self, channel: int = CH1, **options):
        result = await self.subs.subscribe(MOD_A, SCOPE_A, channel, **options)
        return result.subscription

    async def add(self, title: str, **overrides):
        return await self.catalogue.add(EDITOR, draft(title=title, **overrides), scope="global")

    async def at(self, moment: datetime) -> list[Outcome]:
        """Move the clock and run what is due (what the scheduler job does)."""
        self.clock.now = moment
        return await self.engine.run_due()

    async def ledger(self, sub_id: int) -> list[Delivery]:
        return await store.deliveries(self.db, sub_id)


def bodies(poster: FakePoster, channel: int) -> list[str]:
    return [m.content for m in poster.messages(channel)]


# --- the rules ---------------------------------------------------------------------------


async def test_weekly_digest_is_posted_once_at_its_time(world: World) -> None:
    sub = await world.subscribe()
    assert sub.next_run == utc(2023, 5, 8, 9)
    world.clock.now = utc(2023, 5, 3, 12)
    await world.add("Seoul and Tokyo restart shuttle diplomacy")
    assert await world.at(utc(2023, 5, 8, 8, 59)) == []
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert [o.kind for o in outcomes] == ["sent"]
    assert await world.at(utc(2023, 5, 8, 9, 1)) == []
    assert await world.at(utc(2023, 5, 8, 18)) == []
    (text,) = bodies(world.poster, CH1)
    assert "Seoul and Tokyo restart shuttle diplomacy" in text
    (row,) = await world.ledger(sub.id)
    assert text.endswith(f"-# Trilateral Brief digest · 2023-W19 · part 1/1 · ref {row.reference}")
    assert (row.period, row.state, row.attempts) == ("2023-W19", "sent", 1)
    after = await store.get_subscription(world.db, sub.id)
    assert after is not None
    assert after.next_run == utc(2023, 5, 15, 9) and after.last_period == "2023-W19"
    assert after.covered_until == utc(2023, 5, 8, 9)


async def test_empty_periods_are_skipped_unless_post_empty(world: World) -> None:
    quiet = await world.subscribe(CH1)
    chatty = await world.subscribe(CH2, post_empty=True)
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert sorted(o.kind for o in outcomes) == ["sent", "skipped"]
    assert bodies(world.poster, CH1) == []
    (text,) = bodies(world.poster, CH2)
    assert "Nothing new on these topics this period." in text
    assert [r.state for r in await world.ledger(quiet.id)] == ["skipped"]
    assert [r.state for r in await world.ledger(chatty.id)] == ["sent"]
    # The skipped period still moves the schedule on: nothing is re-tried.
    assert await world.at(utc(2023, 5, 9)) == []


async def test_daily_digest_covers_each_day_once(world: World) -> None:
    await world.subscribe(cadence="daily", at="18:00", timezone="Asia/Seoul")  # 09:00 UTC
    for day in (2, 3, 4):
        world.clock.now = utc(2023, 5, day, 3)
        await world.add(f"Development of day {day}")
    for day in (2, 3, 4):
        await world.at(utc(2023, 5, day, 9))
        await world.at(utc(2023, 5, day, 12))
    texts = bodies(world.poster, CH1)
    assert len(texts) == 3
    for day, text in zip((2, 3, 4), texts, strict=True):
        assert f"Development of day {day}" in text
        assert sum(f"Development of day {d}" in text for d in (2, 3, 4)) == 1


async def test_content_groups_by_topic_new_before_updated_with_retractions(world: World) -> None:
    await world.subscribe(topics="japan-korea, us-korea")
    world.clock.now = utc(2023, 4, 20)
    old = await world.add("Older summit follow-up", countries="JP KR")
    world.clock.now = utc(2023, 5, 2)
    await world.add("Brand-new Seoul–Tokyo hotline", countries="JP KR")
    await world.add("US and Korea expand drills", countries="US KR", domain="security")
    await world.catalogue.edit(EDITOR, old.id, draft(title="Older summit follow-up (revised)"))
    gone = await world.add("Report later withdrawn", countries="JP KR")
    await world.catalogue.retract(EDITOR, gone.id, "the source corrected itself")
    await world.catalogue.set_assessment(
        EDITOR, "japan-korea", "Ties keep improving.", "improving", (), scope="global"
    )
    await world.at(utc(2023, 5, 8, 9))
    (text,) = bodies(world.poster, CH1)
    jk, uk = text.index("### Japan–South Korea"), text.index("### US–South Korea")
    new, updated = text.index("Brand-new Seoul–Tokyo hotline"), text.index("(revised)")
    assert jk < new < updated < uk < text.index("US and Korea expand drills")
    assert "~~Report later withdrawn~~" in text and "the source corrected itself" in text
    assert "### Assessments" in text and "Ties keep improving." in text
    assert "`/brief japan-korea`" in text
    assert text.count("Brand-new Seoul–Tokyo hotline") == 1  # trilateral overlap not repeated


async def test_stored_text_cannot_ping_or_break_the_layout(world: World) -> None:
    await world.subscribe()
    world.clock.now = utc(2023, 5, 2)
    await world.add("@everyone **look** <@&123> # heading")
    await world.at(utc(2023, 5, 8, 9))
    (text,) = bodies(world.poster, CH1)
    assert "@everyone" not in text and "<@&123>" not in text and "**look**" not in text


async def test_send_now_counts_as_the_period_and_keeps_later_content(world: World) -> None:
    sub = await world.subscribe()
    world.clock.now = utc(2023, 5, 2)
    await world.add("Before send-now")
    world.clock.now = utc(2023, 5, 3, 12)
    outcome = await world.engine.send_now(sub.id)
    assert (outcome.kind, outcome.period) == ("sent", "2023-W19")
    world.clock.now = utc(2023, 5, 4)
    await world.add("After send-now")
    assert await world.at(utc(2023, 5, 8, 9)) == []  # the scheduled time posts nothing
    assert len(bodies(world.poster, CH1)) == 1
    await world.at(utc(2023, 5, 15, 9))
    first, second = bodies(world.poster, CH1)
    assert "Before send-now" in first and "After send-now" not in first
    assert "After send-now" in second and "Before send-now" not in second
    again = await world.engine.send_now(sub.id)  # the next period, early
    assert again.period == "2023-W21"


async def test_the_starter_dataset_is_not_news_but_its_later_edits_are(
    db: Database, clock: FixedClock
) -> None:
    world = World(db, clock)  # the starter data was loaded "now", inside the first window
    sub = await world.subscribe(topics="japan-korea")
    starter = await world.catalogue.show(1, None)
    world.clock.now = utc(2023, 5, 3)
    await world.catalogue.edit(EDITOR, starter.id, draft(title="A corrected starter title"))
    await world.at(utc(2023, 5, 8, 9))
    (text,) = bodies(world.poster, CH1)
    assert "A corrected starter title" in text and "*(updated)*" in text
    assert text.count("- 🆕") == 0 and text.count("- ✏️") == 1
    assert (await world.ledger(sub.id))[0].state == "sent"


async def test_send_now_posts_even_when_nothing_is_new(world: World) -> None:
    sub = await world.subscribe()  # post_empty off: the schedule would skip this period
    outcome = await world.engine.send_now(sub.id)
    assert outcome.kind == "sent"
    (text,) = bodies(world.poster, CH1)
    assert "Nothing new on these topics this period." in text


async def test_downtime_is_caught_up_once_with_missed_periods_folded(world: World) -> None:
    sub = await world.subscribe()
    for day in (3, 10, 17):
        world.clock.now = utc(2023, 5, day)
        await world.add(f"While down on day {day}")
    # Down from before 8 May until 24 May: three Mondays missed.
    outcomes = await world.at(utc(2023, 5, 24))
    assert [(o.kind, o.period) for o in outcomes] == [("sent", "2023-W21")]
    (text,) = bodies(world.poster, CH1)
    assert all(f"While down on day {d}" in text for d in (3, 10, 17))
    assert "Also covers 2 earlier periods missed while the bot was offline." in text
    (row,) = await world.ledger(sub.id)
    assert row.folded == ("2023-W19", "2023-W20")
    assert await world.at(utc(2023, 5, 25)) == []
    after = await store.get_subscription(world.db, sub.id)
    assert after is not None and after.next_run == utc(2023, 5, 29, 9)


@pytest.mark.parametrize(
    ("zone", "at", "start", "days", "local_hours"),
    [
        ("America/New_York", "01:30", utc(2023, 11, 4), 3, {(1, 30)}),  # fall back 5 Nov
        ("America/New_York", "02:30", utc(2023, 3, 11), 3, {(2, 30), (3, 30)}),  # spring 12 Mar
        ("Europe/Berlin", "02:30", utc(2023, 10, 28), 3, {(2, 30)}),  # fall back 29 Oct
        ("Europe/Berlin", "02:30", utc(2023, 3, 25), 3, {(2, 30), (3, 30)}),  # spring 26 Mar
        ("Asia/Seoul", "02:30", utc(2023, 3, 25), 3, {(2, 30)}),
        ("Asia/Tokyo", "02:30", utc(2023, 10, 28), 3, {(2, 30)}),
    ],
)
async def test_dst_neither_shifts_nor_duplicates_daily_deliveries(
    empty_db: Database,
    zone: str,
    at: str,
    start: datetime,
    days: int,
    local_hours: set[tuple[int, int]],
) -> None:
    clock = FixedClock(start)
    world = World(empty_db, clock)
    sub = await world.subscribe(cadence="daily", at=at, timezone=zone, post_empty=True)
    sent_at = []
    moment = start
    while moment < start + timedelta(days=days):
        moment += timedelta(minutes=15)
        for outcome in await world.at(moment):
            if outcome.kind == "sent":
                sent_at.append(moment)
    rows = await world.ledger(sub.id)
    assert len(rows) == days and len({r.period for r in rows}) == days
    assert len(bodies(world.poster, CH1)) == days
    local = [m.astimezone(sub.schedule.zone) for m in sent_at]
    assert len({m.date() for m in local}) == days
    assert {(m.hour, m.minute) for m in local} <= local_hours


async def test_weekly_new_york_and_berlin_across_both_switches(empty_db: Database) -> None:
    clock = FixedClock(utc(2023, 3, 1))
    world = World(empty_db, clock)
    ny = await world.subscribe(CH1, timezone="America/New_York", post_empty=True)
    be = await world.subscribe(CH2, timezone="Europe/Berlin", post_empty=True)
    fired: dict[int, list[datetime]] = {ny.id: [], be.id: []}
    # Jump from one stored next_run to the next (what the scheduler's jobs do), and also
    # run an hour later each time, when a repeated wall-clock hour would fire again.
    while clock.now < utc(2023, 11, 15):
        subs = [await store.get_subscription(world.db, s.id) for s in (ny, be)]
        moment = min(s.next_run for s in subs if s is not None and s.next_run)
        for probe in (moment, moment + timedelta(hours=1)):
            for outcome in await world.at(probe):
                fired[outcome.subscription_id].append(probe)
    for sub in (ny, be):
        local = [m.astimezone(sub.schedule.zone) for m in fired[sub.id] if m < utc(2023, 11, 15)]
        assert all((m.weekday(), m.hour, m.minute) == (0, 9, 0) for m in local)
        weeks = [m.isocalendar()[1] for m in local]
        assert weeks == list(range(10, 47))  # 6 March … 13 November, each once


# --- crashes -----------------------------------------------------------------------------


def crash_on(event: str, at_count: int):
    """A hook that kills the 'process' at the `at_count`-th post, before or after it lands."""

    def hook(when: str, channel: int, count: int) -> None:
        if when == event and count == at_count - (1 if event == "before" else 0):
            raise Crash(f"killed {event} post {at_count}")

    return hook


async def crashed(world: World) -> None:
    """Run what is due until the hook 'kills the process'."""
    (outcome,) = await world.engine.run_due()
    assert outcome.kind == "retry-later" and "Crash('killed" in outcome.detail


async def restart(world: World) -> list[Outcome]:
    """A new process: a new engine taking over interrupted deliveries."""
    world.poster.hook = None
    await world.kill(world.engine)  # the old process is gone: its liveness lock dropped
    world.engine = world.new_engine()
    return await world.engine.run_due()


async def many_developments(world: World, count: int) -> None:
    world.clock.now = utc(2023, 5, 2)
    for i in range(count):
        await world.add(f"Development number {i:02d} " + "with a long descriptive title " * 3)


@pytest.mark.parametrize("history_works", [True, False])
@pytest.mark.parametrize("event", ["before", "after"])
async def test_crash_around_the_post_neither_loses_nor_repeats(
    world: World, event: str, history_works: bool
) -> None:
    sub = await world.subscribe(post_empty=True)
    world.poster.history_works = history_works
    world.poster.hook = crash_on(event, 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    (row,) = await world.ledger(sub.id)
    assert row.state == "sending" and row.parts_sent == 0
    outcomes = await restart(world)
    assert [(o.kind, o.resumed) for o in outcomes] == [("sent", True)]
    assert len(bodies(world.poster, CH1)) == 1
    (row,) = await world.ledger(sub.id)
    assert (row.state, row.attempts, row.parts_sent) == ("sent", 2, 1)
    assert row.reference is not None
    assert world.poster.messages(CH1)[0].nonce == nonce_for(row.reference, 1)
    assert await restart(world) == []


@pytest.mark.parametrize("crash_at", [2, 3])
async def test_crash_between_parts_of_a_split_digest_resumes_at_the_next_part(
    world: World, crash_at: int
) -> None:
    sub = await world.subscribe(post_empty=True)
    await many_developments(world, 30)
    world.poster.hook = crash_on("before", crash_at)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    await restart(world)
    (row,) = await world.ledger(sub.id)
    assert row.state == "sent" and len(row.parts) >= 3
    texts = bodies(world.poster, CH1)
    assert texts == list(row.parts)
    assert all(len(t) <= 2000 for t in texts)
    assert [m.id for m in world.poster.messages(CH1)] == list(row.message_ids)


async def test_a_live_process_keeps_its_lease_even_when_the_clock_jumps(
    world: World,
) -> None:
    """Issue 10 item 2: a clock step (or a paused VM) made a live lease look expired."""
    sub = await world.subscribe(post_empty=True)
    world.poster.hook = crash_on("before", 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)  # the first engine stalls; its process is still alive
    world.poster.hook = None
    other = world.new_engine()
    # The live process leads delivery; the other stands by (and would find the row busy).
    assert [o.kind for o in await other.run_due()] == ["standby"]
    world.clock.now += timedelta(minutes=11)  # past the stored expiry: a wall-clock step
    assert [o.kind for o in await other.run_due()] == ["standby"]
    assert (await other.deliver(sub.id)).kind == "busy"
    world.clock.now += timedelta(minutes=10)  # a full lease of grace more: a hung holder
    if world.db.dialect == "postgresql":
        # A live session keeps its locks whatever any clock says: only its death (or its
        # connection's) hands the sender over.
        assert [o.kind for o in await other.run_due()] == ["standby"]
        await world.kill(world.engine)
    assert [o.kind for o in await other.run_due()] == ["sent"]
    assert len(bodies(world.poster, CH1)) == 1
    (row,) = await world.ledger(sub.id)
    assert (row.attempts, row.lease_token, row.failures) == (2, 2, 0)


async def test_a_dead_process_lease_is_taken_over_at_once(world: World) -> None:
    await world.subscribe(post_empty=True)
    world.poster.hook = crash_on("before", 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    world.poster.hook = None
    await world.kill(world.engine)  # the dead process's liveness lock is dropped
    other = world.new_engine()
    assert [(o.kind, o.resumed) for o in await other.run_due()] == [("sent", True)]
    assert len(bodies(world.poster, CH1)) == 1


async def test_restart_after_the_next_period_finishes_the_old_one_then_the_new(
    world: World,
) -> None:
    sub = await world.subscribe(post_empty=True)
    world.poster.hook = crash_on("before", 1)
    world.clock.now = utc(2023, 5, 8, 9)
    await crashed(world)
    world.clock.now = utc(2023, 5, 16)
    await restart(world)
    assert [r.period for r in await world.ledger(sub.id)] == ["2023-W19", "2023-W20"]
    assert len(bodies(world.poster, CH1)) == 2


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "reason"),
    [("gone", "no longer exists"), ("forbidden", "may no longer post in this channel")],
)
async def test_a_channel_the_bot_cannot_post_in_pauses_and_is_not_retried(
    world: World, broken: str, reason: str
) -> None:
    bad = await world.subscribe(CH1, post_empty=True)
    await world.subscribe(CH2, post_empty=True)
    getattr(world.poster, broken).add(CH1)
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert sorted(o.kind for o in outcomes) == ["paused", "sent"]
    paused = await store.get_subscription(world.db, bad.id)
    assert paused is not None and paused.status == "paused"
    assert reason in (paused.paused_reason or "")
    calls = len(world.poster.calls)
    for week in range(1, 5):
        await world.at(utc(2023, 5, 8, 9) + timedelta(weeks=week))
    assert [c for c in world.poster.calls[calls:] if c[1] == CH1] == []
    assert len(bodies(world.poster, CH2)) == 5
    # Re-subscribing resumes it.
    world.poster.gone.discard(CH1)
    world.poster.forbidden.discard(CH1)
    resumed = await world.subscribe(CH1, post_empty=True)
    assert resumed.status == "active" and resumed.paused_reason is None


async def test_server_errors_and_429_are_retried_with_backoff(world: World) -> None:
    world.engine = world.new_engine(retry=RetryPolicy(tries=4))
    await world.subscribe(CH1, post_empty=True)
    world.poster.fail(CH1, server_error(), server_error(), rate_limited(3.5))
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert [o.kind for o in outcomes] == ["sent"]
    assert len(bodies(world.poster, CH1)) == 1
    assert [s for s in world.timer.slept if s >= 1] == [1.0, 2.0, 3.5]


async def test_a_failing_channel_never_blocks_the_others_and_gives_up_in_time(
    world: World,
) -> None:
    bad = await world.subscribe(CH1, post_empty=True)
    await world.subscribe(CH2, post_empty=True)
    await world.subscribe(CH3, post_empty=True)
    world.poster.fail(CH1, *[server_error() for _ in range(100)])
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert sorted(o.kind for o in outcomes) == ["retry-later", "sent", "sent"]
    kinds = []
    for minute in range(1, 12):  # the sweep retries a bounded number of times
        kinds += [o.kind for o in await world.at(utc(2023, 5, 8, 9, minute))]
    assert kinds.count("retry-later") == RetryPolicy().max_attempts - 1
    assert kinds.count("failed") == 1
    (row,) = await world.ledger(bad.id)
    assert row.state == "failed" and "gave up" in (row.error or "")
    sends = [c for c in world.poster.calls if c == ("send", CH1)]
    assert len(sends) == RetryPolicy().max_attempts * RetryPolicy().tries
    # The content is not lost: the next digest's window still starts where it did.
    after = await store.get_subscription(world.db, bad.id)
    assert after is not None and after.status == "active" and after.covered_until is None
    assert after.next_run == utc(2023, 5, 15, 9)


# --- pacing ------------------------------------------------------------------------------


def max_in_window(times: list[float], width: float) -> int:
    return max(sum(1 for t in times if start <= t < start + width) for start in times)


async def test_token_bucket_stays_under_the_limit() -> None:
    timer = FakeTimer()
    bucket = TokenBucket(rate=40, burst=5, timer=timer)
    times = []
    for _ in range(400):
        await bucket.acquire()
        times.append(timer.now)
    assert max_in_window(times, 1.0) <= 45
    assert times[-1] == pytest.approx((400 - 5) / 40)


async def test_fan_out_paces_globally_and_per_channel(world: World) -> None:
    world.engine = world.new_engine(pacing=PacingConfig(global_rate=10, global_burst=2))
    channels = list(range(400, 430))
    for channel in channels:
        await world.subscribe(channel, post_empty=True)
    await many_developments(world, 20)  # several parts per channel
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert {o.kind for o in outcomes} == {"sent"}
    times = world.poster.send_times
    assert len(times) == world.poster.total >= 60
    assert max_in_window(times, 1.0) <= 12
    # Discord allows 5 messages per 5 s in one channel; the pacer keeps each channel under.
    per_channel: dict[int, list[float]] = {}
    for channel, at in world.poster.send_log:
        per_channel.setdefault(channel, []).append(at)
    busiest = max(per_channel.values(), key=len)
    assert len(busiest) >= 2
    assert max(max_in_window(t, 5.0) for t in per_channel.values()) <= 5
    assert max(max_in_window(t, 1.0) for t in per_channel.values()) == 1


async def test_fan_out_paces_each_channel_when_the_global_limit_is_far(world: World) -> None:
    world.engine = world.new_engine(pacing=PacingConfig(global_rate=1000, global_burst=50))
    for channel in (CH1, CH2):
        await world.subscribe(channel, post_empty=True)
    await many_developments(world, 40)  # several parts per channel
    outcomes = await world.at(utc(2023, 5, 8, 9))
    assert {o.kind for o in outcomes} == {"sent"}
    per_channel: dict[int, list[float]] = {}
    for channel, at in world.poster.send_log:
        per_channel.setdefault(channel, []).append(at)
    assert min(len(t) for t in per_channel.values()) >= 3
    # Discord allows 5 messages per 5 s in one channel.
    assert max(max_in_window(t, 5.0) for t in per_channel.values()) <= 5
    assert max(max_in_window(t, 1.0) for t in per_channel.values()) == 1


async def test_token_bucket_never_spins_on_a_clock_far_from_zero() -> None:
    timer = FakeTimer(now=7 * 86400.0 + 0.123456789)  # a week of uptime
    bucket = TokenBucket(rate=46, burst=1.5, timer=timer)

    async def take() -> None:
        for _ in range(200):
            await bucket.acquire()

    await asyncio.wait_for(take(), 10)
    assert len(timer.slept) < 400  # one sleep per wait, not endless tiny ones


# --- the wall clock going back (issue 18, item 4) -----------------------------------------


async def test_a_development_added_after_the_clock_steps_back_is_in_the_next_digest(
    world: World,
) -> None:
    await world.subscribe(cadence="daily", at="09:00")
    world.clock.now = utc(2023, 5, 2, 8)
    await world.add("Before the step back")
    assert [o.kind for o in await world.at(utc(2023, 5, 2, 9))] == ["sent"]
    world.clock.now = utc(2023, 5, 2, 9) - timedelta(seconds=45)  # NTP steps the clock back
    await world.add("Added right after the step back")
    await world.at(utc(2023, 5, 3, 9))
    first, second = bodies(world.poster, CH1)
    assert "Before the step back" in first
    assert "Added right after the step back" in second


async def test_send_now_has_what_was_added_in_the_same_second_and_keeps_what_comes_after(
    world: World,
) -> None:
    sub = await world.subscribe(cadence="daily", at="09:00")
    second = utc(2023, 5, 2, 12)
    world.clock.now = second + timedelta(milliseconds=200)
    await world.add("Added just before send-now")
    world.clock.now = second + timedelta(milliseconds=500)
    assert (await world.engine.send_now(sub.id)).kind == "sent"
    world.clock.now = second + timedelta(milliseconds=800)
    await world.add("Added just after send-now")
    await world.at(utc(2023, 5, 3, 9))
    now_digest, next_digest = bodies(world.poster, CH1)
    assert "Added just before send-now" in now_digest
    assert "Added just after send-now" not in now_digest
    assert "Added just after send-now" in next_digest
    assert "Added just before send-now" not in next_digest


async def test_send_now_after_a_large_step_back_loses_nothing(world: World) -> None:
    sub = await world.subscribe(cadence="daily", at="09:00")
    world.clock.now = utc(2023, 5, 2, 12)
    assert (await world.engine.send_now(sub.id)).kind == "sent"
    world.clock.now = utc(2023, 5, 2, 10)  # two hours back
    await world.add("Added after a two-hour step back")
    await world.at(utc(2023, 5, 3, 9))
    _now_digest, next_digest = bodies(world.poster, CH1)
    assert "Added after a two-hour step back" in next_digest


async def test_an_import_keeps_the_dates_its_records_carry_after_digests_were_sent(
    sqlite_world: World,
) -> None:
    world = sqlite_world  # imports need SQLite in this release (storage.bulk)
    assert isinstance(world.db, Database)
    await world.subscribe(cadence="daily", at="09:00", post_empty=True)
    assert [o.kind for o in await world.at(utc(2023, 5, 2, 9))] == ["sent"]
    record = raw_development(title="A development from an older export") | {
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-02T00:00:00Z",
    }
    await transfer.import_data(world.db, {"developments": [record]}, world.clock)
    row = await world.db.fetchone(
        "SELECT created_at, updated_at FROM developments WHERE title = ?",
        ("A development from an older export",),
    )
    assert row is not None
    assert (row["created_at"], row["updated_at"]) == (
        "2020-01-01T00:00:00Z",
        "2020-01-02T00:00:00Z",
    )
