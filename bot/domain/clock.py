"""Injectable time: everything that asks 'what time is it' takes a `Clock`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """A UTC timestamp as stored in the database: `2023-03-16T09:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """The inverse of `iso_utc`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def today(clock: Clock) -> date:
    """The UTC date of `clock()`."""
    return clock().astimezone(UTC).date()
