"""What a process tells Prometheus: commands answered and their latency, digests sent,
failed and waiting per platform, which process leads each platform's digest sending, feed
polls and the database connections in use.

Counters are moved where things happen (the front ends, the delivery engine, the feed
poller); the gauges read the database when scraped (`refresh`), so they say what is true
now, whichever process moved them. One registry per process (not the library's global one),
so a test or a second bot in one interpreter starts from zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.domain.feeds import PollReport
from bot.domain.scope import PLATFORMS, Platform
from bot.domain.subscriptions import Subscription
from storage import subscriptions as store
from storage.contract import PooledDb

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: How long each cadence's period is: a digest still due one period after its time has
#: missed a whole period (the "waiting past their period" alert).
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
#: Seconds: from a quick lookup to a chart drawn or a search through everything.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: The singletons a process may hold: each platform's digest sender, and the Telegram poller
#: (the one process of a database that fetches Telegram's updates).
DIGEST_SENDER = "digest_sender"
TELEGRAM_POLLER = "telegram_poller"


class LeadView(Protocol):
    """What the metrics need of the delivery engine: who it is, what it may lead."""

    owner: str
    platforms: set[Platform]


@dataclass(frozen=True)
class Waiting:
    """A platform's due digests not yet delivered, and those a whole period late."""

    due: int = 0
    past_period: int = 0


def waiting(subs: Iterable[Subscription], now: datetime) -> dict[Platform, Waiting]:
    """Per platform: active subscriptions whose time has come, and of those the ones
    still due a whole period after it."""
    due: dict[Platform, int] = dict.fromkeys(PLATFORMS, 0)
    late: dict[Platform, int] = dict.fromkeys(PLATFORMS, 0)
    for sub in subs:
        if not sub.active or sub.next_run is None or sub.next_run > now:
            continue
        due[sub.platform] += 1
        if sub.next_run + PERIODS.get(sub.schedule.cadence, PERIODS["weekly"]) <= now:
            late[sub.platform] += 1
    return {p: Waiting(due[p], late[p]) for p in PLATFORMS}


class Metrics:
    """The process's metrics, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Histogram(
            "briefbot_command_seconds",
            "Commands answered (the count) and how long each took, by command and platform.",
            ("command", "platform"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.digests = Counter(
            "briefbot_digests",
            "Digest deliveries finished, by platform and outcome (sent, failed, paused).",
            ("platform", "outcome"),
            registry=r,
        )
        self.digests_waiting = Gauge(
            "briefbot_digests_waiting",
            "Active subscriptions whose digest is due and not yet delivered.",
            ("platform",),
            registry=r,
        )
        self.digests_late = Gauge(
            "briefbot_digests_waiting_past_period",
            "Due digests still undelivered a whole period (a day, a week) after their time.",
            ("platform",),
            registry=r,
        )
        self.leader = Gauge(
            "briefbot_singleton_leader",
            "1 when this process holds the singleton (a platform's digest sender, the "
            "Telegram poller).",
            ("singleton", "platform"),
            registry=r,
        )
        self.feed_polls = Counter(
            "briefbot_feed_polls",
            "Feed polls, by outcome (ok or failed).",
            ("outcome",),
            registry=r,
        )
        self.db_in_use = Gauge(
            "briefbot_db_connections_in_use",
            "Database connections running a statement or holding a transaction.",
            registry=r,
        )
        for platform in PLATFORMS:
            for outcome in ("sent", "failed", "paused"):
                self.digests.labels(platform, outcome)
        for outcome in ("ok", "failed"):
            self.feed_polls.labels(outcome)
        self._holders: dict[tuple[str, Platform], Callable[[], bool]] = {}

    def watch_singleton(self, name: str, platform: Platform, holds: Callable[[], bool]) -> None:
        """Show `holds()` as this process's `briefbot_singleton_leader{name, platform}` at
        each scrape (a role decided outside the database's tables, such as the poller)."""
        self._holders[(name, platform)] = holds

    def command_answered(self, command: str, platform: Platform, seconds: float) -> None:
        """A command finished (answered, or refused with an answer) after `seconds`."""
        self.commands.labels(command, platform).observe(max(0.0, seconds))

    def digest_outcome(self, platform: Platform, kind: str) -> None:
        """A delivery ended: only the final outcomes are counted (a postponed one is not)."""
        if kind in ("sent", "failed", "paused"):
            self.digests.labels(platform, kind).inc()

    def feed_polled(self, report: PollReport) -> None:
        """A feed was polled: unchanged counts as ok, a pause as failed."""
        ok = report.outcome in ("ok", "unchanged")
        self.feed_polls.labels("ok" if ok else "failed").inc()

    async def refresh(self, db: PooledDb, now: datetime, engine: LeadView | None) -> None:
        """Read what the gauges say from the database (on each scrape)."""
        for platform, w in waiting(await store.active_subscriptions(db), now).items():
            self.digests_waiting.labels(platform).set(w.due)
            self.digests_late.labels(platform).set(w.past_period)
        self.leader.clear()
        for platform in sorted(engine.platforms if engine is not None else ()):
            assert engine is not None
            held = await store.leads_delivery(db, platform, engine.owner)
            self.leader.labels(DIGEST_SENDER, platform).set(1 if held else 0)
        for (name, platform), holds in self._holders.items():
            self.leader.labels(name, platform).set(1 if holds() else 0)
        self.db_in_use.set(db.connections_in_use())

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
