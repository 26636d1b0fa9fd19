"""Digest subscriptions and their delivery ledger as domain values (storage maps rows to
these; the services own every rule about them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.domain.digest_filter import NO_FILTER, DigestFilter
from bot.domain.schedule import Schedule
from bot.domain.scope import Platform, Scope

DeliveryState = Literal["sending", "sent", "skipped", "failed"]


@dataclass(frozen=True)
class Subscription:
    """One channel's digest subscription, as stored."""

    id: int
    guild_id: int
    channel_id: int
    topics: tuple[str, ...]
    schedule: Schedule
    post_empty: bool
    status: Literal["active", "paused"]
    paused_reason: str | None
    created_by: str
    created_at: str
    next_run: datetime | None
    last_period: str | None
    last_delivered_at: str | None
    covered_until: datetime | None
    last_error: str | None = None
    digest_filter: DigestFilter = NO_FILTER
    platform: Platform = "discord"
    #: a platform no running process serves, while a due digest waits for it (over a period)
    waiting_for: Platform | None = None

    @property
    def scope(self) -> Scope | None:
        """The server or chat it belongs to (`guild_id` is that scope's id); None for the
        command line's preview of the global catalogue (guild_id 0)."""
        return Scope(self.platform, self.guild_id) if self.guild_id else None

    @property
    def active(self) -> bool:
        """Scheduled (not paused)."""
        return self.status == "active"


@dataclass(frozen=True)
class Delivery:
    """A ledger row: the delivery of one period to one channel."""

    id: int
    subscription_id: int
    channel_id: int
    period: str
    state: DeliveryState
    attempts: int
    parts: tuple[str, ...]
    parts_sent: int
    message_ids: tuple[int, ...]
    window_start: datetime
    window_end: datetime
    folded: tuple[str, ...]
    lease_owner: str | None
    lease_until: datetime | None
    created_at: str
    sent_at: str | None
    error: str | None
    trigger: str = "schedule"
    lease_token: int = 0
    reference: str | None = None
    failures: int = 0


@dataclass(frozen=True)
class Fence:
    """Who holds an open delivery: the owner and the fencing token of its claim."""

    owner: str
    token: int
