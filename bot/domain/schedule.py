"""A digest schedule as stored: cadence, weekday, local time and IANA zone.

The rules that compute occurrences from it live in `bot.core.digests.schedule`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

Cadence = Literal["weekly", "daily"]
CADENCES: tuple[Cadence, ...] = ("weekly", "daily")
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
DEFAULT_TIME = time(9, 0)


@dataclass(frozen=True)
class Schedule:
    """When a subscription is delivered: cadence, weekday (weekly only), local time, zone."""

    cadence: Cadence = "weekly"
    weekday: int = 0
    at: time = DEFAULT_TIME
    timezone: str = "UTC"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The zone as a tzinfo."""
        return zoneinfo.ZoneInfo(self.timezone)

    def describe(self) -> str:
        """'every Monday at 09:00 (Europe/Berlin)'."""
        day = "every day" if self.cadence == "daily" else f"every {WEEKDAYS[self.weekday].title()}"
        return f"{day} at {self.at:%H:%M} ({self.timezone})"

    def runs_on(self, day: date) -> bool:
        """Whether a local date has an occurrence."""
        return self.cadence == "daily" or day.weekday() == self.weekday

    def period_key(self, day: date) -> str:
        """The period a local date belongs to: '2025-03-09' or '2025-W10'."""
        if self.cadence == "daily":
            return day.isoformat()
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"

    def local(self, moment: datetime) -> datetime:
        """An instant in the subscription's zone."""
        return moment.astimezone(self.zone)
