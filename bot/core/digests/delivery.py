"""Delivering digests exactly once per (subscription, period), whatever crashes.

The protocol (README, "How the delivery guarantee works"):

1. **Claim.** The digest is rendered, then one `BEGIN IMMEDIATE` transaction checks that the
   content window did not change while it was composed (item 5 of issue 10: a writer that
   committed meanwhile makes us compose again) and inserts the ledger row (subscription,
   period) — UNIQUE — with state `sending`, the rendered parts (each marker naming the row's
   unique reference), the content window, the owner and fencing token 1. A period that
   already has a row is never claimed again.
2. **Post.** Before each part the engine checks it still holds the fence (owner + token);
   each part is posted with a nonce derived from (reference, part) and `enforce_nonce`, so
   Discord answers a resend within its nonce window with the message it already created.
   After every part the message id is recorded — only if the fence still holds — so a
   restart resumes at the next part.
3. **Resume.** An interrupted row is taken over (token + 1) when its owner is dead (asked of
   the kernel, `bot.core.digests.liveness`), nobody holds it, or its stored expiry is a full lease in
   the past. The part whose fate is unknown is first looked for among the bot's own messages
   posted since the claim, by its marker line; only when it is not there is it posted again
   (with the same nonce).
4. **Finish.** One fenced transaction marks the row `sent` and advances the subscription.

Retries have one budget, split by layer and never multiplied: discord.py retries a request
(server errors 5 times, short 429s waited out; longer ones raise `RateLimited`, see
`bot.discord.exts.digest_poster`), the engine posts each part once per attempt (`RetryPolicy.tries`)
and gives a period up after `RetryPolicy.max_attempts` failed attempts (takeovers after a
crash are not failures). Channels the bot can no longer post in pause the subscription.
Every delivery — a scheduled job's, the sweep's, the catch-up's — goes through one bounded
fan-out (`concurrency`) and one pacer under Discord's global and per-channel limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.core.digests.leadership import Leadership, LedgerLeadership, takeable
from bot.core.digests.liveness import Liveness
from bot.core.digests.pacing import KeyedLocks, Pacer, PacingConfig, RealTimer, RetryPolicy, Timer
from bot.core.digests.parts import legacy_nonce, nonce_for, with_reference
from bot.core.digests.schedule import (
    DuePlan,
    next_occurrence,
    occurrence_for_period,
    plan_due,
    plan_now,
)
from bot.domain.clock import Clock, iso_utc
from bot.domain.scope import PLATFORMS, Platform
from bot.domain.subscriptions import Delivery, DeliveryState, Fence, Subscription
from storage import catalogue as catalogue_store
from storage import subscriptions as store
from storage.sqlite.database import Database, Writer

log = logging.getLogger(__name__)

#: seconds of waiting for a pacing turn after which the fence is checked again
STALL_RECHECK = 5.0

Composer = Callable[[Subscription, DuePlan], Awaitable[list[str]]]
OutcomeKind = Literal[
    "sent",  # every part posted and recorded
    "skipped",  # nothing new and post_empty off: recorded, nothing posted
    "already",  # the period was delivered before: nothing posted
    "not-due",  # nothing owed yet
    "busy",  # another worker holds the delivery
    "paused",  # the subscription is paused (now, or already)
    "retry-later",  # Discord failed: the lease is released for a later sweep
    "failed",  # given up on this period
    "missing",  # the subscription no longer exists
    "superseded",  # our lease was taken over or the delivery abandoned: we stopped posting
    "standby",  # another live process leads the platform's delivery, or none serves it
    "stopping",  # this process is stopping sending to the platform: another takes over
]


# --- what the Discord side must provide --------------------------------------------------


class DeliveryError(Exception):
    """Posting failed; `str()` is the reason shown to moderators."""


class ChannelGone(DeliveryError):
    """The channel no longer exists (404, code 10003)."""


class ChannelForbidden(DeliveryError):
    """The bot may not see or post in the channel (403, codes 50001/50013)."""


class RetryableError(DeliveryError):
    """A server error, network error or rate limit: worth trying again later."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class FrontEndDown(RetryableError):
    """The channel's platform has no front end running in this process: the delivery waits
    for it, and the wait is not a failed attempt (it never uses up the retry budget)."""


class RejectedError(DeliveryError):
    """Discord refused this message for good (e.g. 400): do not repeat it."""


class Poster(Protocol):
    """The Discord-facing side of delivery."""

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        """Post `content` (no pings) with `nonce` + enforce_nonce; return the message id.
        `first_id` is the id the delivery's part 1 got (a forum post continues in it)."""
        ...

    async def find(
        self,
        channel_id: int,
        marker: str,
        *,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
        first_id: int | None = None,
    ) -> int | None:
        """The id of a message *by the bot*, posted after `after`, whose last line is
        `marker`; `pace()` is awaited before every request."""
        ...


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did."""

    subscription_id: int
    kind: OutcomeKind
    period: str | None = None
    message_ids: tuple[int, ...] = ()
    detail: str = ""
    resumed: bool = False


class _FenceLost(Exception):
    """Our lease was taken over or the delivery abandoned: stop before posting."""


class _Stopping(Exception):
    """This process is stopping sending to the platform: post nothing more."""


@dataclass
class _Claim:
    delivery: Delivery
    fence: Fence
    resumed: bool
    renew_at: float  # on the engine's monotonic timer


def pause_reason(error: DeliveryError) -> str:
    """The sentence /subscriptions shows for a paused subscription."""
    advice = getattr(error, "advice", None)  # a platform's own words (e.g. Telegram's)
    if isinstance(advice, str):
        return advice
    if isinstance(error, ChannelGone):
        return f"The channel no longer exists or the bot cannot reach it ({error})."
    return (
        f"The bot may no longer post in this channel ({error}). Give it View Channel, Send "
        "Messages and Read Message History there, then run /subscribe again to resume."
    )


WindowProbe = Callable[[Database | Writer, datetime, datetime], Awaitable[tuple[object, ...]]]


async def window_fingerprint(
    db: Database | Writer, start: datetime, end: datetime
) -> tuple[object, ...]:
    """What a digest window holds, cheaply (`storage.catalogue.window_fingerprint`). Read
    before composing and again inside the claim's write transaction (no writer in flight
    then): a difference means a writer committed while we composed."""
    return await catalogue_store.window_fingerprint(db, iso_utc(start), iso_utc(end))


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
    liveness: Liveness | None = None
    probe: WindowProbe = window_fingerprint
    #: the platforms this process sends to (leads, when it can): the hub sets the ones whose
    #: front end runs; an engine on its own serves every platform
    platforms: set[Platform] = field(default_factory=lambda: set(PLATFORMS))
    leadership: Leadership | None = None
    #: told of each delivery's outcome with its platform (the process's metrics)
    on_outcome: Callable[[Platform, Outcome], None] | None = None

    def __post_init__(self) -> None:
        self.pacer = Pacer(self.pacing, self.timer)
        self.locks = KeyedLocks()
        # One gate for every entry point: scheduled jobs, sweeps and catch-up share the cap.
        self.gate = asyncio.Semaphore(self.pacing.concurrency)
        if self.liveness is None:
            # A PostgreSQL database has no file to keep liveness locks beside: leases
            # fall back to expiry there.
            path = getattr(self.db, "path", None)
            self.liveness = Liveness.beside(path) if path is not None else Liveness(None)
        self.liveness.register(self.owner)
        if self.leadership is None:
            self.leadership = LedgerLeadership(
                self.db,
                self.owner,
                self.liveness,
                self.clock,
                self.timer,
                self.lease,
                on_taken=self._took_lead,
            )
        self._lead_lock = asyncio.Lock()
        self.leads_taken = 0  # times this engine took a lead (for logs and the bench)
        # Deliveries in flight, by platform: a graceful stop waits for them before it lets
        # another process take over (which would post the part in flight again).
        self._inflight: dict[asyncio.Task[object], Platform | None] = {}
        self._stopping: set[Platform] = set()

    def _took_lead(self, platform: Platform) -> None:
        self.leads_taken += 1

    def open(self) -> None:
        """Hold this engine's liveness lock again (after `close`; idempotent)."""
        assert self.liveness is not None
        self.liveness.register(self.owner)

    def close(self) -> None:
        """Drop this engine's liveness lock (what the process exiting does)."""
        assert self.liveness is not None
        self.liveness.release(self.owner)

    # --- entry points ----------------------------------------------------------------------

    async def deliver(self, sub_id: int) -> Outcome:
        """Deliver what is owed now: first an interrupted delivery, then a due period.
        Unbounded: callers go through `fan_out`."""
        async with self.locks.hold(sub_id), self._in_flight():
            first = self._report(await self._deliver(sub_id, now_mode=False))
            if first.kind == "sent" and first.resumed:
                # The interrupted one is done; a later period may be due too.
                second = self._report(await self._deliver(sub_id, now_mode=False))
                if second.kind in ("sent", "skipped", "paused", "failed", "retry-later"):
                    return second
            return first

    async def send_now(self, sub_id: int) -> Outcome:
        """`/digest send-now`: the current period's digest now (its one delivery)."""
        async with self.gate, self.locks.hold(sub_id), self._in_flight():
            return self._report(await self._deliver(sub_id, now_mode=True))

    async def run_due(self) -> list[Outcome]:
        """Every interrupted or due delivery, fanned out concurrently and paced."""
        now = self.clock()
        ids = await store.open_delivery_subscription_ids(self.db)
        seen = set(ids)
        ids += [i for i in await store.due_subscription_ids(self.db, now) if i not in seen]
        return await self.fan_out(ids)

    async def fan_out(self, sub_ids: list[int]) -> list[Outcome]:
        """Deliver to many subscriptions at once, at most `concurrency` in flight across
        every caller; one failure never stops the others. Only the platforms this process
        leads: another process's are `standby`."""
        led = await self._lead()  # every sweep renews the leads, even with nothing due
        platforms = await store.subscription_platforms(self.db, sub_ids)
        waiting = [i for i in sub_ids if i in platforms and platforms[i] not in led]
        if waiting:
            await self._note_waiting(waiting, platforms)

        async def one(sub_id: int) -> Outcome:
            if sub_id in platforms and platforms[sub_id] not in led:
                return Outcome(sub_id, "standby")
            async with self.gate:
                try:
                    return await self.deliver(sub_id)
                except Exception as exc:
                    log.exception("digest delivery crashed subscription=%s", sub_id)
                    return Outcome(sub_id, "retry-later", detail=f"unexpected error: {exc!r}")

        return list(await asyncio.gather(*(one(i) for i in sub_ids)))

    @contextlib.asynccontextmanager
    async def _in_flight(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is None or task in self._inflight:
            yield
            return
        self._inflight[task] = None  # until `_deliver` knows the subscription's platform
        try:
            yield
        finally:
            del self._inflight[task]

    def _report(self, outcome: Outcome) -> Outcome:
        """Tell `on_outcome` (inside `_in_flight`, where the platform was marked)."""
        task = asyncio.current_task()
        platform = self._inflight.get(task) if task is not None else None
        if self.on_outcome is not None and platform is not None:
            self.on_outcome(platform, outcome)
        return outcome

    def _mark_platform(self, platform: Platform) -> None:
        task = asyncio.current_task()
        if task is not None and task in self._inflight:
            self._inflight[task] = platform

    async def _note_waiting(self, sub_ids: list[int], platforms: dict[int, Platform]) -> None:
        """Due subscriptions of a platform no live process serves: once one has waited
        longer than a period, /subscriptions says what it waits for."""
        assert self.leadership is not None
        waiting = {platforms[i] for i in sub_ids}
        unserved = {p for p in sorted(waiting) if not await self.leadership.served(p)}
        now = self.clock()
        # A platform another live process leads is its business (its delivery clears the mark).
        for sub_id in (i for i in sub_ids if platforms[i] in unserved):
            platform = platforms[sub_id]
            sub = await store.get_subscription(self.db, sub_id)
            if sub is None or not sub.active or sub.next_run is None:
                continue
            overdue = next_occurrence(sub.schedule, sub.next_run).at <= now
            wanted = platform if overdue else None
            if sub.waiting_for != wanted:
                async with self.db.transaction() as w:
                    await store.set_waiting_for(w, sub_id, wanted)
                if wanted is not None:
                    log.warning(
                        "digest waiting subscription=%s: no running process serves %s",
                        sub_id,
                        platform,
                    )

    async def stop_sending(self, platform: Platform, *, timeout: float = 30.0) -> None:
        """A graceful stop of `platform`: post nothing more, let the parts in flight finish
        (up to `timeout` seconds, then cancel them), and only then give up the lead, so a
        process taking over never posts a part this one is still posting."""
        self.platforms.discard(platform)
        self._stopping.add(platform)  # until `serve` (a delivery still starting sees it)
        current = asyncio.current_task()
        tasks = [t for t, p in self._inflight.items() if p in (platform, None) and t is not current]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        assert self.leadership is not None
        await self.leadership.release(platform)

    def serve(self, platform: Platform) -> None:
        """Send `platform`'s digests (again): its front end runs in this process."""
        self._stopping.discard(platform)
        self.platforms.add(platform)

    # --- one delivery ----------------------------------------------------------------------

    async def _deliver(self, sub_id: int, *, now_mode: bool) -> Outcome:
        for _ in range(3):  # a concurrent change makes us re-plan
            sub = await store.get_subscription(self.db, sub_id)
            if sub is None:
                return Outcome(sub_id, "missing")
            if not sub.active:
                return Outcome(sub_id, "paused", detail=sub.paused_reason or "")
            self._mark_platform(sub.platform)
            if sub.platform in self._stopping:
                return Outcome(sub_id, "stopping")
            open_row = await store.open_delivery(self.db, sub_id)
            if open_row is not None:
                claim = await self._reclaim(sub, open_row)
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
            seen = await self.probe(self.db, plan.window_start, plan.window_end)
            # A moderator who asks for a digest now gets one, even if nothing is new.
            try:
                parts = await self.compose(replace(sub, post_empty=True) if now_mode else sub, plan)
            except RetryableError as exc:  # e.g. the platform's front end is not running
                return Outcome(sub_id, "retry-later", plan.period, detail=str(exc))
            result = await self._claim(
                sub, plan, parts, seen, trigger="now" if now_mode else "schedule"
            )
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
        self,
        sub: Subscription,
        plan: DuePlan,
        parts: list[str],
        seen: tuple[object, ...],
        *,
        trigger: str,
    ) -> _Claim | Outcome | None:
        now = self.clock()
        at = iso_utc(now)
        reference = uuid.uuid4().hex[:10]
        parts = [with_reference(p, reference) for p in parts]
        following = next_occurrence(sub.schedule, plan.occurrence.at)
        async with self.db.transaction() as w:
            assert self.leadership is not None
            if trigger != "now" and not await self.leadership.holds(w, sub.platform):
                return Outcome(sub.id, "standby", plan.period)  # the lead moved meanwhile
            current = await store.get_subscription(w, sub.id)
            if current != sub:
                return None  # changed since we planned: plan again
            if await self.probe(w, plan.window_start, plan.window_end) != seen:
                log.info("digest window changed while composing subscription=%s", sub.id)
                return None  # a writer committed into the window meanwhile: compose again
            state: DeliveryState = "sending" if parts else "skipped"
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
                reference=reference,
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
        return _Claim(row, Fence(self.owner, row.lease_token), False, self._renew_deadline())

    def _renew_deadline(self) -> float:
        # Renew after half a lease of our own monotonic time: wall-clock steps cannot make
        # us think our lease is fresher or staler than it is.
        return self.timer.monotonic() + self.lease.total_seconds() / 2

    def _takeable(self, owner: str | None, lease_until: datetime | None, now: datetime) -> bool:
        """Whether what `owner` holds (a delivery) may be taken over now."""
        assert self.liveness is not None
        return takeable(self.liveness, self.owner, owner, lease_until, now, self.lease)

    async def _lead(self) -> set[Platform]:
        """The platforms this process leads (taking each lead that is free): rate limits
        are per bot, so one process per platform at a time fans out and paces."""
        assert self.leadership is not None and self.liveness is not None
        async with self._lead_lock:  # jobs firing together ask at once
            self.liveness.refresh()
            return {p for p in sorted(self.platforms) if await self.leadership.lead(p)}

    async def _reclaim(self, sub: Subscription, row: Delivery) -> _Claim | Outcome | None:
        now = self.clock()
        async with self.db.transaction() as w:
            current = await store.get_delivery(w, sub.id, row.period)
            if current is None or current.state != "sending":
                return None
            if not self._takeable(current.lease_owner, current.lease_until, now):
                return None
            if current.failures >= self.retry.max_attempts:
                error = f"gave up after {current.failures} failed attempts: {current.error or '?'}"
                if not await store.give_up_delivery(
                    w, current.id, current.lease_token, iso_utc(now), error
                ):
                    return None
                await store.set_last_error(w, sub.id, error)
                await self._advance_after_give_up(w, sub, current, now)
                return Outcome(sub.id, "failed", current.period, detail=error)
            fence = await store.take_lease(
                w, current.id, self.owner, now + self.lease, seen_token=current.lease_token
            )
            if fence is None:
                return None
            refreshed = await store.get_delivery(w, sub.id, row.period)
        assert refreshed is not None
        log.info(
            "digest resumed subscription=%s period=%s at part=%s/%s attempt=%s token=%s",
            sub.id,
            refreshed.period,
            refreshed.parts_sent + 1,
            len(refreshed.parts),
            refreshed.attempts,
            fence.token,
        )
        return _Claim(refreshed, fence, True, self._renew_deadline())

    async def _advance_after_give_up(
        self, w: Writer, sub: Subscription, row: Delivery, now: datetime
    ) -> None:
        """Move past a given-up period. Nothing posted: its content folds into the next
        digest (covered_until stays). Some parts posted: the window counts as covered, so
        the next digest does not post those developments a second time."""
        occ = occurrence_for_period(sub.schedule, row.period)
        after = occ.at if occ is not None else now
        following = next_occurrence(sub.schedule, after).at
        if row.parts_sent == 0:
            await store.set_next_run(w, sub.id, following)
            return
        await store.record_period_done(
            w,
            sub.id,
            period=None,
            delivered_at=None,
            covered_until=row.window_end,
            next_run=following,
        )

    async def _holds(self, claim: _Claim) -> bool:
        """Check (and, after half a lease, renew) our fence before posting."""
        row = claim.delivery
        if self.timer.monotonic() >= claim.renew_at:
            async with self.db.transaction() as w:
                held = await store.renew_lease(w, row.id, claim.fence, self.clock() + self.lease)
            claim.renew_at = self._renew_deadline()
            return held
        return await store.holds_fence(self.db, row.id, claim.fence)

    async def _post(self, sub: Subscription, claim: _Claim) -> Outcome:
        row = claim.delivery
        ids = list(row.message_ids)
        for index in range(row.parts_sent, len(row.parts)):
            content = row.parts[index]
            message_id: int | None = None
            if claim.resumed and index == row.parts_sent:
                message_id = await self._find_posted(row, content, ids[0] if ids else None)
            if message_id is None:
                try:
                    message_id = await self._send(
                        claim, index, content, ids[0] if ids else None, sub.platform
                    )
                except _FenceLost:
                    return self._superseded(sub, row, ids)
                except _Stopping:
                    return await self._release(sub, claim, FrontEndDown("stopping"), stop=True)
                except (ChannelGone, ChannelForbidden) as exc:
                    return await self._pause(sub, claim, exc)
                except RetryableError as exc:
                    return await self._release(sub, claim, exc)
                except DeliveryError as exc:
                    return await self._give_up(sub, claim, exc, len(ids))
            ids.append(message_id)
            async with self.db.transaction() as w:
                recorded = await store.record_part(
                    w, row.id, claim.fence, ids, self.clock() + self.lease
                )
            if not recorded:
                return self._superseded(sub, row, ids)
        return await self._finish(sub, claim, ids)

    def _superseded(self, sub: Subscription, row: Delivery, ids: list[int]) -> Outcome:
        log.warning(
            "digest lease lost subscription=%s period=%s: stopped posting", sub.id, row.period
        )
        return Outcome(sub.id, "superseded", row.period, tuple(ids))

    async def _find_posted(self, row: Delivery, content: str, first_id: int | None) -> int | None:
        last_line = content.rsplit("\n", 1)[-1]
        after = datetime.fromisoformat(row.created_at.replace("Z", "+00:00"))

        async def pace() -> None:
            await self.pacer.acquire(row.channel_id)

        try:
            return await self.poster.find(
                row.channel_id, last_line, after=after, pace=pace, first_id=first_id
            )
        except DeliveryError as exc:
            log.info(
                "history check failed channel=%s: %s (relying on the nonce)", row.channel_id, exc
            )
            return None

    def _nonce(self, row: Delivery, index: int) -> str:
        if row.reference is None:
            return legacy_nonce(row.subscription_id, row.period, index + 1)
        return nonce_for(row.reference, index + 1)

    async def _send(
        self, claim: _Claim, index: int, content: str, first_id: int | None, platform: Platform
    ) -> int:
        row = claim.delivery
        nonce = self._nonce(row, index)
        for attempt in range(self.retry.tries):
            if platform in self._stopping:
                raise _Stopping
            if not await self._holds(claim):
                raise _FenceLost
            waited = self.timer.monotonic()
            await self.pacer.acquire(row.channel_id)
            # A holder that stalled while waiting its turn checks again, right before the
            # request (a normal pacing wait does not, so nothing comes between the bucket
            # and the request).
            if self.timer.monotonic() - waited > STALL_RECHECK and not await self._holds(claim):
                raise _FenceLost
            try:
                return await self.poster.send(
                    row.channel_id, content, nonce=nonce, first_id=first_id
                )
            except RetryableError as exc:
                if attempt + 1 >= self.retry.tries:
                    raise
                delay = self.retry.delay(attempt, exc.retry_after)
                log.info("digest post retry channel=%s in %.2fs: %s", row.channel_id, delay, exc)
                await self.timer.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _finish(self, sub: Subscription, claim: _Claim, ids: list[int]) -> Outcome:
        row = claim.delivery
        now = self.clock()
        at = iso_utc(now)
        async with self.db.transaction() as w:
            if not await store.finish_delivery(w, row.id, claim.fence, "sent", at):
                return self._superseded(sub, row, ids)
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
        return Outcome(sub.id, "sent", row.period, tuple(ids), resumed=claim.resumed)

    async def _pause(self, sub: Subscription, claim: _Claim, exc: DeliveryError) -> Outcome:
        row = claim.delivery
        reason = pause_reason(exc)
        at = iso_utc(self.clock())
        async with self.db.transaction() as w:
            current = await store.get_subscription(w, sub.id)
            if current != sub:
                # /subscribe changed (or resumed) it while we posted: a moderator may have
                # just fixed the permissions. Do not overwrite that with a pause; retry later.
                await store.release_lease(w, row.id, claim.fence, f"{exc}")
                return Outcome(sub.id, "retry-later", row.period, detail=str(exc))
            if not await store.finish_delivery(w, row.id, claim.fence, "failed", at, str(exc)):
                return self._superseded(sub, row, list(row.message_ids))
            await store.pause_subscription(w, sub.id, reason, at)
        log.warning(
            "digest subscription paused subscription=%s channel=%s: %s",
            sub.id,
            row.channel_id,
            exc,
        )
        return Outcome(sub.id, "paused", row.period, detail=reason)

    async def _release(
        self, sub: Subscription, claim: _Claim, exc: RetryableError, *, stop: bool = False
    ) -> Outcome:
        row = claim.delivery
        failed = not isinstance(exc, FrontEndDown)
        error = f"Discord kept failing: {exc}" if failed else str(exc)
        async with self.db.transaction() as w:
            if not await store.release_lease(w, row.id, claim.fence, error, failed=failed):
                return self._superseded(sub, row, list(row.message_ids))
            if not stop:  # a graceful stop is no problem of the subscription's
                await store.set_last_error(w, sub.id, error)
        log.warning("digest postponed subscription=%s period=%s: %s", sub.id, row.period, exc)
        kind: OutcomeKind = "stopping" if stop else "retry-later"
        return Outcome(sub.id, kind, row.period, detail=error, resumed=claim.resumed)

    async def _give_up(
        self, sub: Subscription, claim: _Claim, exc: DeliveryError, posted: int
    ) -> Outcome:
        row = replace(claim.delivery, parts_sent=posted)
        error = f"Discord refused the digest: {exc}"
        now = self.clock()
        async with self.db.transaction() as w:
            if not await store.finish_delivery(
                w, row.id, claim.fence, "failed", iso_utc(now), error
            ):
                return self._superseded(sub, row, list(row.message_ids))
            await store.set_last_error(w, sub.id, error)
            await self._advance_after_give_up(w, sub, row, now)
        log.error("digest refused subscription=%s period=%s: %s", sub.id, row.period, exc)
        return Outcome(sub.id, "failed", row.period, detail=error)
