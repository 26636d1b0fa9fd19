"""Delivering digests exactly once per (subscription, period), whatever crashes.

The protocol (README, "How the delivery guarantee works"):

1. **Claim.** The digest is rendered, then one `BEGIN IMMEDIATE` transaction inserts the
   ledger row (subscription, period) — UNIQUE — with state `sending`, the rendered parts, the
   content window and a lease. A period that already has a row is never claimed again.
2. **Post.** Each part is posted with a nonce derived from (subscription, period, part) and
   `enforce_nonce`, so Discord answers a resend within its nonce window with the message it
   already created. After every part the message id is recorded, so a restart resumes at the
   next part.
3. **Resume.** An interrupted row (state `sending`) is taken over after a restart (or when
   its lease expires). The one part whose fate is unknown is first looked for in the
   channel's recent history by its marker line; only when it is not there is it posted again
   (with the same nonce).
4. **Finish.** One transaction marks the row `sent` and advances the subscription.

Channels the bot can no longer post in pause the subscription with the reason (never retried
for ever); server errors and 429s are retried with exponential backoff (respecting
`retry_after`) and, after that, by later sweeps for a bounded number of attempts. Fan-out
paces itself with token buckets under Discord's global and per-channel limits, and one
failing channel never blocks another.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal, Protocol

from bot.core.clock import Clock, iso_utc
from bot.core.digests import nonce_for
from bot.core.schedule import (
    DuePlan,
    next_occurrence,
    occurrence_for_period,
    plan_due,
    plan_now,
)
from storage import subscriptions as store
from storage.database import Database, Writer
from storage.subscriptions import Delivery, Subscription

log = logging.getLogger(__name__)

Composer = Callable[[Subscription, DuePlan], Awaitable[list[str]]]
OutcomeKind = Literal[
    "sent",  # every part posted and recorded
    "skipped",  # nothing new and post_empty off: recorded, nothing posted
    "already",  # the period was delivered before: nothing posted
    "not-due",  # nothing owed yet
    "busy",  # another worker holds the delivery
    "paused",  # the subscription is paused (now, or already)
    "retry-later",  # server errors: the lease is released for a later sweep
    "failed",  # given up on this period (its content folds into the next one)
    "missing",  # the subscription no longer exists
]


# --- what the Discord side must provide --------------------------------------------------


class DeliveryError(Exception):
    """Posting failed; `str()` is the reason shown to moderators."""


class ChannelGone(DeliveryError):
    """The channel no longer exists (404, code 10003)."""


class ChannelForbidden(DeliveryError):
    """The bot may not see or post in the channel (403, codes 50001/50013)."""


class RetryableError(DeliveryError):
    """A server error or rate limit: worth trying again later."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RejectedError(DeliveryError):
    """Discord refused this message for good (e.g. 400): do not repeat it."""


class Poster(Protocol):
    """The Discord-facing side of delivery."""

    async def send(self, channel_id: int, content: str, *, nonce: str) -> int:
        """Post `content` (no pings) with `nonce` + enforce_nonce; return the message id."""
        ...

    async def find(self, channel_id: int, marker: str) -> int | None:
        """The id of a recent message by the bot whose last line is `marker`, if any."""
        ...


# --- time for pacing and backoff ---------------------------------------------------------


class Timer(Protocol):
    """Monotonic time and sleeping (fake in tests)."""

    def monotonic(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait."""
        ...


class RealTimer:
    """The process's monotonic clock and `asyncio.sleep`."""

    def monotonic(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """`asyncio.sleep`."""
        await asyncio.sleep(seconds)


class TokenBucket:
    """At most `burst + rate * t` acquisitions in any window of `t` seconds."""

    def __init__(self, rate: float, burst: float, timer: Timer) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.timer = timer
        self.tokens = burst
        self.updated = timer.monotonic()

    def _refill(self) -> None:
        now = self.timer.monotonic()
        elapsed = max(0.0, now - self.updated)  # a clock that jumps back must not stall us
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now

    async def acquire(self) -> None:
        """Take one token, waiting until one is available."""
        while True:
            self._refill()
            if self.tokens >= 1 - 1e-9:  # float error must not turn into endless tiny sleeps
                self.tokens = max(0.0, self.tokens - 1)
                return
            await self.timer.sleep((1 - self.tokens) / self.rate)


@dataclass(frozen=True)
class PacingConfig:
    """Fan-out pacing. Defaults stay under Discord's 50 req/s global limit (at most 47 in
    any second, leaving room for a little network jitter) while using 92% of it, and under
    its 5 messages per 5 s per channel (at most 5).

    `concurrency` must keep the global bucket busy: a delivery of n parts takes at least
    (n - 1) / channel_rate seconds, so 16 concurrent multi-part digests reached only about
    half the global rate."""

    global_rate: float = 46.0
    global_burst: float = 1.0
    channel_rate: float = 0.9
    channel_burst: float = 1.0
    concurrency: int = 64


class Pacer:
    """One global bucket plus one bucket per channel."""

    def __init__(self, config: PacingConfig, timer: Timer) -> None:
        self.config = config
        self.timer = timer
        self.global_bucket = TokenBucket(config.global_rate, config.global_burst, timer)
        self.channels: dict[int, TokenBucket] = {}

    async def acquire(self, channel_id: int) -> None:
        """Wait for the channel's turn, then for the global one."""
        bucket = self.channels.get(channel_id)
        if bucket is None:
            bucket = TokenBucket(self.config.channel_rate, self.config.channel_burst, self.timer)
            self.channels[channel_id] = bucket
        await bucket.acquire()
        await self.global_bucket.acquire()


@dataclass(frozen=True)
class RetryPolicy:
    """`tries` posts per part per attempt with exponential backoff, then up to
    `max_attempts` attempts (sweeps) per period before giving it up."""

    tries: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_attempts: int = 5

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try `attempt + 1`: Discord's retry_after when it gave one."""
        backoff = float(min(self.max_delay, self.base_delay * 2**attempt))
        if retry_after is not None:
            return min(self.max_delay, max(retry_after, 0.0))
        return backoff


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did."""

    subscription_id: int
    kind: OutcomeKind
    period: str | None = None
    message_ids: tuple[int, ...] = ()
    detail: str = ""
    resumed: bool = False


@dataclass
class _Claim:
    delivery: Delivery
    resumed: bool


def pause_reason(error: DeliveryError) -> str:
    """The sentence /subscriptions shows for a paused subscription."""
    advice = getattr(error, "advice", None)  # a platform's own words (e.g. Telegram's)
    if isinstance(advice, str):
        return advice
    if isinstance(error, ChannelGone):
        return f"The channel no longer exists or the bot cannot reach it ({error})."
    return (
        f"The bot may no longer post in this channel ({error}). Give it View Channel and "
        "Send Messages there, then run /subscribe again to resume."
    )


@dataclass
class DeliveryEngine:
    """Claims, posts, resumes and finishes digests; see the module docstring."""

    db: Database
    poster: Poster
    compose: Composer
    clock: Clock
    timer: Timer = field(default_factory=RealTimer)
    pacing: PacingConfig = field(default_factory=PacingConfig)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease: timedelta = timedelta(minutes=10)
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        self.pacer = Pacer(self.pacing, self.timer)
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, sub_id: int) -> asyncio.Lock:
        return self._locks.setdefault(sub_id, asyncio.Lock())

    # --- entry points ----------------------------------------------------------------------

    async def deliver(self, sub_id: int, *, takeover: bool = False) -> Outcome:
        """Deliver what is owed now: first an interrupted delivery, then a due period."""
        async with self._lock(sub_id):
            first = await self._deliver(sub_id, now_mode=False, takeover=takeover)
            if first.kind == "sent" and first.resumed:
                # The interrupted one is done; a later period may be due too.
                second = await self._deliver(sub_id, now_mode=False, takeover=takeover)
                if second.kind in ("sent", "skipped", "paused", "failed", "retry-later"):
                    return second
            return first

    async def send_now(self, sub_id: int) -> Outcome:
        """`/digest send-now`: the current period's digest now (its one delivery)."""
        async with self._lock(sub_id):
            return await self._deliver(sub_id, now_mode=True, takeover=False)

    async def run_due(self, *, takeover: bool = False) -> list[Outcome]:
        """Every interrupted or due delivery, fanned out concurrently and paced."""
        now = self.clock()
        ids = await store.open_delivery_subscription_ids(self.db)
        ids += [i for i in await store.due_subscription_ids(self.db, now) if i not in ids]
        return await self.fan_out(ids, takeover=takeover)

    async def fan_out(self, sub_ids: list[int], *, takeover: bool = False) -> list[Outcome]:
        """Deliver to many subscriptions at once; one failure never stops the others."""
        gate = asyncio.Semaphore(self.pacing.concurrency)

        async def one(sub_id: int) -> Outcome:
            async with gate:
                try:
                    return await self.deliver(sub_id, takeover=takeover)
                except Exception as exc:
                    log.exception("digest delivery crashed subscription=%s", sub_id)
                    return Outcome(sub_id, "retry-later", detail=f"unexpected error: {exc!r}")

        return list(await asyncio.gather(*(one(i) for i in sub_ids)))

    # --- one delivery ----------------------------------------------------------------------

    async def _deliver(self, sub_id: int, *, now_mode: bool, takeover: bool) -> Outcome:
        for _ in range(3):  # a concurrent settings change makes us re-plan
            sub = await store.get_subscription(self.db, sub_id)
            if sub is None:
                return Outcome(sub_id, "missing")
            if not sub.active:
                return Outcome(sub_id, "paused", detail=sub.paused_reason or "")
            open_row = await store.open_delivery(self.db, sub_id)
            if open_row is not None:
                claim = await self._reclaim(sub, open_row, takeover=takeover)
                if claim is None:
                    return Outcome(sub_id, "busy", open_row.period)
                if isinstance(claim, Outcome):
                    return claim
                return await self._post(sub, claim)
            now = self.clock()
            if sub.next_run is None:
                return Outcome(sub_id, "not-due")
            make_plan = plan_now if now_mode else plan_due
            plan = make_plan(
                sub.schedule, next_run=sub.next_run, covered_until=sub.covered_until, now=now
            )
            if plan is None:
                return Outcome(sub_id, "not-due")
            if await store.get_delivery(self.db, sub_id, plan.period) is not None:
                await self._skip_recorded_period(sub, plan)
                return Outcome(sub_id, "already", plan.period)
            # A moderator who asks for a digest now gets one, even if nothing is new.
            parts = await self.compose(replace(sub, post_empty=True) if now_mode else sub, plan)
            result = await self._claim(sub, plan, parts, trigger="now" if now_mode else "schedule")
            if result is None:
                continue
            if isinstance(result, Outcome):
                return result
            return await self._post(sub, result)
        return Outcome(sub_id, "busy", detail="the subscription kept changing")

    async def _skip_recorded_period(self, sub: Subscription, plan: DuePlan) -> None:
        """The period is in the ledger already: move next_run past it, post nothing."""
        following = next_occurrence(sub.schedule, plan.occurrence.at)
        async with self.db.transaction() as w:
            current = await store.get_subscription(w, sub.id)
            if current is not None and current.next_run == sub.next_run:
                await store.set_next_run(w, sub.id, following.at)

    async def _claim(
        self, sub: Subscription, plan: DuePlan, parts: list[str], *, trigger: str
    ) -> _Claim | Outcome | None:
        now = self.clock()
        at = iso_utc(now)
        following = next_occurrence(sub.schedule, plan.occurrence.at)
        async with self.db.transaction() as w:
            current = await store.get_subscription(w, sub.id)
            if current != sub:
                return None  # changed since we planned: plan again
            state: store.DeliveryState = "sending" if parts else "skipped"
            row = await store.insert_delivery(
                w,
                sub_id=sub.id,
                channel_id=sub.channel_id,
                period=plan.period,
                state=state,
                parts=parts,
                window_start=plan.window_start,
                window_end=plan.window_end,
                folded=plan.folded,
                owner=self.owner if parts else None,
                lease_until=now + self.lease if parts else None,
                at=at,
                trigger=trigger,
            )
            if row is None:
                return None  # someone recorded the period meanwhile
            if not parts:
                await store.record_period_done(
                    w,
                    sub.id,
                    period=None,
                    delivered_at=None,
                    covered_until=plan.window_end,
                    next_run=following.at,
                )
                return Outcome(sub.id, "skipped", plan.period)
        log.info(
            "digest claimed subscription=%s period=%s parts=%s folded=%s",
            sub.id,
            plan.period,
            len(parts),
            len(plan.folded),
        )
        return _Claim(row, resumed=False)

    async def _reclaim(
        self, sub: Subscription, row: Delivery, *, takeover: bool
    ) -> _Claim | Outcome | None:
        now = self.clock()
        async with self.db.transaction() as w:
            current = await store.get_delivery(w, sub.id, row.period)
            if current is None or current.state != "sending":
                return None
            held = (
                current.lease_owner not in (None, self.owner)
                and current.lease_until is not None
                and current.lease_until > now
            )
            if held and not takeover:
                return None
            if current.attempts >= self.retry.max_attempts:
                error = f"gave up after {current.attempts} attempts: {current.error or '?'}"
                await store.finish_delivery(w, current.id, "failed", iso_utc(now), error)
                await store.set_last_error(w, sub.id, error)
                await self._advance_without_cover(w, sub, current.period)
                return Outcome(sub.id, "failed", current.period, detail=error)
            await store.take_lease(w, current.id, self.owner, now + self.lease)
            refreshed = await store.get_delivery(w, sub.id, row.period)
        assert refreshed is not None
        log.info(
            "digest resumed subscription=%s period=%s at part=%s/%s attempt=%s",
            sub.id,
            refreshed.period,
            refreshed.parts_sent + 1,
            len(refreshed.parts),
            refreshed.attempts,
        )
        return _Claim(refreshed, resumed=True)

    async def _advance_without_cover(self, w: Writer, sub: Subscription, period: str) -> None:
        """Give up a period but keep its content: the next digest's window still starts at
        covered_until, so nothing is lost, only delivered later."""
        occ = occurrence_for_period(sub.schedule, period)
        after = occ.at if occ is not None else self.clock()
        await store.set_next_run(w, sub.id, next_occurrence(sub.schedule, after).at)

    async def _post(self, sub: Subscription, claim: _Claim) -> Outcome:
        row = claim.delivery
        ids = list(row.message_ids)
        for index in range(row.parts_sent, len(row.parts)):
            content = row.parts[index]
            message_id: int | None = None
            if claim.resumed and index == row.parts_sent:
                message_id = await self._find_posted(row.channel_id, content)
            if message_id is None:
                try:
                    message_id = await self._send(row, index, content)
                except (ChannelGone, ChannelForbidden) as exc:
                    return await self._pause(sub, row, exc)
                except RetryableError as exc:
                    return await self._release(sub, row, exc, claim.resumed)
                except DeliveryError as exc:
                    return await self._give_up(sub, row, exc)
            ids.append(message_id)
            async with self.db.transaction() as w:
                changed = await store.record_part(w, row.id, ids, self.clock() + self.lease)
            if not changed:
                return Outcome(sub.id, "missing", row.period, tuple(ids))
        return await self._finish(sub, row, ids, claim.resumed)

    async def _find_posted(self, channel_id: int, content: str) -> int | None:
        last_line = content.rsplit("\n", 1)[-1]
        try:
            return await self.poster.find(channel_id, last_line)
        except DeliveryError as exc:
            log.info("history check failed channel=%s: %s (relying on the nonce)", channel_id, exc)
            return None

    async def _send(self, row: Delivery, index: int, content: str) -> int:
        nonce = nonce_for(row.subscription_id, row.period, index + 1)
        for attempt in range(self.retry.tries):
            await self.pacer.acquire(row.channel_id)
            try:
                return await self.poster.send(row.channel_id, content, nonce=nonce)
            except RetryableError as exc:
                if attempt + 1 >= self.retry.tries:
                    raise
                delay = self.retry.delay(attempt, exc.retry_after)
                log.info("digest post retry channel=%s in %.2fs: %s", row.channel_id, delay, exc)
                await self.timer.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _finish(
        self, sub: Subscription, row: Delivery, ids: list[int], resumed: bool
    ) -> Outcome:
        now = self.clock()
        at = iso_utc(now)
        async with self.db.transaction() as w:
            await store.finish_delivery(w, row.id, "sent", at)
            current = await store.get_subscription(w, sub.id)
            if current is not None:
                occ = occurrence_for_period(current.schedule, row.period)
                after = occ.at if occ is not None else now
                following = next_occurrence(current.schedule, max(after, row.window_end))
                if current.schedule != sub.schedule and current.next_run is not None:
                    following_at = current.next_run  # /subscribe changed it meanwhile
                else:
                    following_at = following.at
                await store.record_period_done(
                    w,
                    sub.id,
                    period=row.period,
                    delivered_at=at,
                    covered_until=row.window_end,
                    next_run=following_at,
                )
        log.info(
            "digest sent subscription=%s channel=%s period=%s parts=%s",
            sub.id,
            row.channel_id,
            row.period,
            len(ids),
        )
        return Outcome(sub.id, "sent", row.period, tuple(ids), resumed=resumed)

    async def _pause(self, sub: Subscription, row: Delivery, exc: DeliveryError) -> Outcome:
        reason = pause_reason(exc)
        at = iso_utc(self.clock())
        async with self.db.transaction() as w:
            await store.finish_delivery(w, row.id, "failed", at, str(exc))
            await store.pause_subscription(w, sub.id, reason, at)
        log.warning(
            "digest subscription paused subscription=%s channel=%s: %s",
            sub.id,
            row.channel_id,
            exc,
        )
        return Outcome(sub.id, "paused", row.period, detail=reason)

    async def _release(
        self, sub: Subscription, row: Delivery, exc: RetryableError, resumed: bool
    ) -> Outcome:
        error = f"Discord kept failing: {exc}"
        async with self.db.transaction() as w:
            await store.release_lease(w, row.id, error)
            await store.set_last_error(w, sub.id, error)
        log.warning("digest postponed subscription=%s period=%s: %s", sub.id, row.period, exc)
        return Outcome(sub.id, "retry-later", row.period, detail=error, resumed=resumed)

    async def _give_up(self, sub: Subscription, row: Delivery, exc: DeliveryError) -> Outcome:
        error = f"Discord refused the digest: {exc}"
        async with self.db.transaction() as w:
            await store.finish_delivery(w, row.id, "failed", iso_utc(self.clock()), error)
            await store.set_last_error(w, sub.id, error)
            await self._advance_without_cover(w, sub, row.period)
        log.error("digest refused subscription=%s period=%s: %s", sub.id, row.period, exc)
        return Outcome(sub.id, "failed", row.period, detail=error)
