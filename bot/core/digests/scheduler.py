"""APScheduler jobs derived from the subscriptions table (the table is the truth).

One plain `date` job per active subscription at its stored `next_run_utc` (no cron
trigger, so a repeated wall-clock hour cannot fire twice; no pickled job store, so nothing
is lost or deleted on restart), plus a sweep every minute that picks up anything overdue
or interrupted (a stalled loop, a failed attempt). On PostgreSQL a watch job every few
seconds lets a standby process take over a dead sender's lock (`DeliveryEngine.watch`). Jobs are rebuilt from the table at start
and after every change. `misfire_grace_time=None` and `coalesce=True`: a late job still
runs, once.

The injectable clock is translated into the scheduler's real time: a job runs
`next_run - clock()` from now, so tests with a fixed clock never fire by accident.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.digests.delivery import DeliveryEngine, Outcome
from bot.domain.clock import Clock
from storage import subscriptions as store
from storage.contract import Db

log = logging.getLogger(__name__)

SWEEP_ID = "digest-sweep"
WATCH_ID = "digest-watch"
_OWN_JOBS = (SWEEP_ID, WATCH_ID)
RECENT_OUTCOMES = 200
JOB_PREFIX = "digest-"


def job_id(sub_id: int) -> str:
    """The scheduler job id of a subscription."""
    return f"{JOB_PREFIX}{sub_id}"


class DigestScheduler:
    """Runs the delivery engine when subscriptions are due."""

    def __init__(
        self,
        engine: DeliveryEngine,
        db: Db,
        clock: Clock,
        *,
        sweep_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.db = db
        self.clock = clock
        self.sweep_seconds = sweep_seconds
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        # Bounded: the latest outcomes for logs and tests, and running counts by kind.
        self.outcomes: deque[Outcome] = deque(maxlen=RECENT_OUTCOMES)
        self.counts: Counter[str] = Counter()

    @property
    def running(self) -> bool:
        """Whether the scheduler is started."""
        return bool(self.scheduler.running)

    async def start(self) -> None:
        """Start (inside the running loop) and build the jobs from the table."""
        self.scheduler.start()
        if self.sweep_seconds > 0:
            self.scheduler.add_job(
                self.sweep,
                IntervalTrigger(seconds=self.sweep_seconds, timezone=UTC),
                id=SWEEP_ID,
                replace_existing=True,
            )
        if self.engine.watch_seconds:
            self.scheduler.add_job(
                self.watch,
                IntervalTrigger(seconds=self.engine.watch_seconds, timezone=UTC),
                id=WATCH_ID,
                replace_existing=True,
            )
        await self.rebuild()

    def shutdown(self) -> None:
        """Stop without waiting for running jobs (the ledger makes that safe)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _real_time(self, moment: datetime) -> datetime:
        return datetime.now(UTC) + (moment - self.clock())

    def jobs(self) -> dict[int, datetime]:
        """Subscription id → when its job runs (in the scheduler's real time)."""
        found = {}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in _OWN_JOBS:
                found[int(job.id.removeprefix(JOB_PREFIX))] = job.next_run_time
        return found

    async def rebuild(self) -> None:
        """Replace every subscription job with one derived from the table."""
        for job in self.scheduler.get_jobs():
            if job.id not in _OWN_JOBS:
                job.remove()
        for sub in await store.active_subscriptions(self.db):
            self._schedule(sub.id, sub.next_run)

    async def refresh(self, sub_id: int) -> None:
        """Re-derive one subscription's job (after /subscribe, /unsubscribe, a delivery)."""
        sub = await store.get_subscription(self.db, sub_id)
        if self.scheduler.get_job(job_id(sub_id)) is not None:
            self.scheduler.remove_job(job_id(sub_id))
        if sub is not None and sub.active:
            self._schedule(sub.id, sub.next_run)

    def _schedule(self, sub_id: int, next_run: datetime | None) -> None:
        if next_run is None:
            return
        if next_run <= self.clock():
            return  # overdue: the start-up catch-up and the sweep deliver it
        self.scheduler.add_job(
            self.fire,
            DateTrigger(run_date=self._real_time(next_run), timezone=UTC),
            args=(sub_id,),
            id=job_id(sub_id),
            replace_existing=True,
        )

    def _record(self, outcomes: list[Outcome]) -> None:
        self.outcomes.extend(outcomes)
        self.counts.update(o.kind for o in outcomes)

    async def fire(self, sub_id: int) -> Outcome:
        """A subscription's job: deliver what is due through the engine's bounded, paced
        fan-out (thousands of jobs due at Monday 09:00 share its cap), then schedule the
        next run."""
        try:
            (outcome,) = await self.engine.fan_out([sub_id])
        finally:
            await self.refresh(sub_id)
        self._record([outcome])
        log.info("digest job subscription=%s outcome=%s", sub_id, outcome.kind)
        return outcome

    async def sweep(self) -> list[Outcome]:
        """Deliver everything overdue or interrupted, then re-derive the jobs."""
        outcomes = await self.engine.run_due()
        self._record(outcomes)
        for outcome in outcomes:
            await self.refresh(outcome.subscription_id)
        if outcomes:
            log.info(
                "digest sweep delivered=%s outcomes=%s",
                sum(o.kind == "sent" for o in outcomes),
                _counts(outcomes),
            )
        return outcomes

    async def watch(self) -> list[Outcome]:
        """On PostgreSQL, every few seconds: keep this process's lock session and leads; a
        lead just taken (its holder died) sweeps at once, finishing what it left."""
        if await self.engine.watch():
            return await self.sweep()
        return []

    async def catch_up(self) -> list[Outcome]:
        """At start: finish interrupted deliveries whose owner is gone (a live process
        keeps its own) and deliver periods missed while the bot was down, late and once."""
        return await self.sweep()


def _counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
    return counts
