"""Feeds, candidates and what a poll did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from bot.domain.models import Domain, Precision
from bot.domain.scope import Scope

FeedStatus = Literal["active", "paused"]
CandidateStatus = Literal["pending", "approving", "approved", "rejected"]
DEFAULT_INTERVAL_S = 900


@dataclass(frozen=True)
class Feed:
    """A feed one queue reads: a Discord server's, a Telegram chat's, or the global one
    (`scope` None, kept by editors)."""

    id: int
    scope: Scope | None
    url: str
    title: str
    topics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    interval_s: int = DEFAULT_INTERVAL_S
    status: FeedStatus = "active"
    pause_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    failing_since: str | None = None
    last_error: str | None = None
    last_polled_at: str | None = None
    next_poll_at: str = ""
    added_by: str = ""
    notice_pending: bool = False  # paused by the bot; its queue's reviewers not told yet
    last_capped: int = 0  # items the last poll left out beyond the newest ITEMS_PER_POLL


@dataclass(frozen=True)
class CandidateSource:
    """One publisher's item behind a candidate."""

    link: str
    title: str
    publisher: str | None
    published_on: str | None
    seen_on: str
    feed_id: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A story waiting for review: a development, ready-made, and its sources."""

    id: int
    scope: Scope | None  # the queue it waits in; None for the global one
    title: str
    summary: str
    occurred_on: str
    date_precision: Precision
    date_from_feed: bool
    countries: tuple[str, ...]
    domain: Domain
    relevance: float
    status: CandidateStatus
    created_at: str
    sources: tuple[CandidateSource, ...] = ()
    development_id: int | None = None
    card_channel_id: int | None = None
    card_message_id: int | None = None


@dataclass
class PollReport:
    """What polling one feed did: new candidates, merged sources, skipped items and why."""

    feed_id: int
    url: str
    outcome: str = "ok"  # ok, unchanged, failed, paused
    title: str = ""
    items: int = 0
    new: list[int] = field(default_factory=list)
    merged_into: list[int] = field(default_factory=list)  # candidates given a new source
    skipped: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    capped: int = 0  # older items left out: a poll reads only the newest ones

    @property
    def failed(self) -> bool:
        """The feed could not be read this time (failed, or paused for failing a day)."""
        return self.outcome in ("failed", "paused")

    @property
    def merged(self) -> int:
        """How many items became another source of a queued candidate."""
        return len(self.merged_into)

    def line(self) -> str:
        """One line for the CLI and logs."""
        if self.outcome in ("failed", "paused"):
            return f"feed {self.feed_id} {self.outcome}: {self.error}"
        if self.outcome == "unchanged":
            return f"feed {self.feed_id} unchanged (304)"
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        capped = (
            f"; read only the newest, left out {_count(self.capped, 'older item')}"
            if self.capped
            else ""
        )
        return (
            f"feed {self.feed_id}: {_count(self.items, 'item')}, "
            f"{_count(len(self.new), 'new candidate')}, "
            f"{self.merged} merged into existing ones"
            + (f"; skipped {skipped}" if skipped else "")
            + capped
        )


def _count(n: int, noun: str) -> str:
    """`1 item`, `2 items`: this report is the command line's and the log's (English only)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
