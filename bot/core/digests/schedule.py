"""When digests are due: occurrences, period keys and catch-up, in the subscription's zone.

A subscription fires once per *period*: a local date (daily) or a local ISO week (weekly).
Each period has exactly one scheduled instant, computed from the local date, the local time
and the IANA zone:

* a local time that does not exist (spring forward) moves forward by the gap
  (02:30 on the New York switch day fires at 03:30 EDT);
* a local time that occurs twice (fall back) fires once, at its first occurrence;
* the period key comes from the local date of the occurrence, never from a fire instant, so
  no clock trick can produce two deliveries for one period.

Everything here is pure: no clock is read, `now` is always an argument.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from bot import i18n
from bot.domain.errors import InvalidInput
from bot.domain.schedule import CADENCES, DEFAULT_TIME, WEEKDAYS, Cadence, Schedule
from bot.i18n import gettext as _

__all__ = [
    "CADENCES",
    "DEFAULT_TIME",
    "WEEKDAYS",
    "Cadence",
    "DuePlan",
    "Occurrence",
    "Schedule",
    "available_zones",
    "first_run",
    "latest_occurrence",
    "listed_zones",
    "next_occurrence",
    "occurrence_for_period",
    "occurrence_from",
    "occurrence_on",
    "parse_cadence",
    "parse_time",
    "parse_timezone",
    "parse_weekday",
    "plan_due",
    "plan_now",
    "previous_occurrence",
    "window_label",
]


_TIME = re.compile(r"^(\d{1,2})(?::|h|\.)?(\d{2})$")
_SEARCH_DAYS = 16  # enough to find the next weekly occurrence even across a skipped day


@cache
def available_zones() -> frozenset[str]:
    """Every IANA zone name this installation knows."""
    return frozenset(zoneinfo.available_timezones())


@cache
def listed_zones() -> tuple[str, ...]:
    """The zones offered as people type: Region/City names and UTC, sorted."""
    return tuple(sorted(z for z in available_zones() if "/" in z or z == "UTC"))


def parse_timezone(value: str | None, default: str = "UTC") -> str:
    """An IANA zone name ('Europe/Berlin'); matched case-insensitively."""
    text = (value or "").strip().replace(" ", "_")
    if not text:
        return default
    if text in available_zones():
        return text
    folded = {z.lower(): z for z in available_zones()}
    if text.lower() in folded:
        return folded[text.lower()]
    raise InvalidInput(
        "timezone",
        _(
            "{text!r} is not an IANA time zone: use a name like Europe/Berlin, America/New_York, Asia/Seoul, Asia/Tokyo or UTC (the list offers them as you type)"
        ).format(text=text[:40]),
    )


def parse_weekday(value: str | int | None) -> int:
    """0 (Monday) … 6 (Sunday) from a day name, its first three letters, or 0–6."""
    if value is None or value == "":
        return 0
    if isinstance(value, int):
        if 0 <= value <= 6:
            return value
    else:
        text = value.strip().lower()
        for index, name in enumerate(WEEKDAYS):
            if text == name or (len(text) >= 3 and name.startswith(text)):
                return index
    raise InvalidInput(
        "weekday",
        _("{value!r} is not a weekday: use monday, tuesday, … sunday").format(
            value=str(value)[:20]
        ),
    )


def parse_time(value: str | None) -> time:
    """A 24-hour local time 'HH:MM' (09:00, 9:00, 17:30)."""
    text = (value or "").strip()
    if not text:
        return DEFAULT_TIME
    match = _TIME.match(text)
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput(
        "time",
        _("{text!r} is not a time: use 24-hour HH:MM, e.g. 09:00 or 17:30").format(text=text[:20]),
    )


def parse_cadence(value: str | None) -> Cadence:
    """'weekly' (default) or 'daily'."""
    text = (value or "weekly").strip().lower()
    if text == "weekly":
        return "weekly"
    if text == "daily":
        return "daily"
    raise InvalidInput("cadence", _("must be weekly or daily"))


@dataclass(frozen=True, order=True)
class Occurrence:
    """One scheduled delivery: the UTC instant, the local date and the period key."""

    at: datetime
    local_date: date
    period: str


def occurrence_on(schedule: Schedule, day: date) -> Occurrence | None:
    """The occurrence on a local date, if the schedule runs that day and the date exists."""
    if not schedule.runs_on(day):
        return None
    zone = schedule.zone
    # fold=0: a repeated wall time means its first occurrence; a skipped wall time is read
    # with the offset before the gap, i.e. it lands that many minutes later.
    wall = datetime.combine(day, schedule.at, tzinfo=zone).replace(fold=0)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).date() != day:
        return None  # the whole local day was skipped (e.g. Samoa, 30 Dec 2011)
    return Occurrence(instant, day, schedule.period_key(day))


def next_occurrence(schedule: Schedule, after: datetime) -> Occurrence:
    """The first occurrence strictly after `after`."""
    start = schedule.local(after).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        occ = occurrence_on(schedule, start + timedelta(days=offset))
        if occ is not None and occ.at > after:
            return occ
    raise AssertionError("no occurrence found within 16 days")  # pragma: no cover


def latest_occurrence(schedule: Schedule, at_or_before: datetime) -> Occurrence:
    """The last occurrence at or before `at_or_before`."""
    start = schedule.local(at_or_before).date() + timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        occ = occurrence_on(schedule, start - timedelta(days=offset))
        if occ is not None and occ.at <= at_or_before:
            return occ
    raise AssertionError("no occurrence found within 16 days")  # pragma: no cover


def previous_occurrence(schedule: Schedule, occ: Occurrence) -> Occurrence:
    """The occurrence before `occ`."""
    return latest_occurrence(schedule, occ.at - timedelta(seconds=1))


def occurrence_from(schedule: Schedule, next_run: datetime) -> Occurrence:
    """The occurrence a stored `next_run_utc` stands for (the first at or after it)."""
    return next_occurrence(schedule, next_run - timedelta(seconds=1))


@dataclass(frozen=True)
class DuePlan:
    """What one delivery covers: its period, the periods folded into it, its content window."""

    occurrence: Occurrence
    folded: tuple[str, ...]
    window_start: datetime
    window_end: datetime

    @property
    def period(self) -> str:
        """The ledger key of the delivery."""
        return self.occurrence.period


def plan_due(
    schedule: Schedule, *, next_run: datetime, covered_until: datetime | None, now: datetime
) -> DuePlan | None:
    """The delivery owed at `now`, or None when nothing is due yet.

    After downtime several periods may be due; only the latest is delivered and the older
    ones are folded into it (its window starts where the last delivery's ended).
    """
    first = occurrence_from(schedule, next_run)
    if first.at > now:
        return None
    latest = latest_occurrence(schedule, now)
    folded: list[str] = []
    occ = first
    while occ.at < latest.at:
        folded.append(occ.period)
        occ = next_occurrence(schedule, occ.at)
    start = covered_until or previous_occurrence(schedule, first).at
    return DuePlan(latest, tuple(folded), min(start, latest.at), latest.at)


def plan_now(
    schedule: Schedule, *, next_run: datetime, covered_until: datetime | None, now: datetime
) -> DuePlan:
    """`/digest send-now`: the owed period (late) or the upcoming one (early), up to `now`.

    Sent early, it counts as that period's delivery: the scheduled time then finds the
    period in the ledger and posts nothing.
    """
    # Rows are stamped to the second and windows are [start, end): ending at the next whole
    # second keeps what was added in this second (right before asking) in this digest. What
    # is written later in the same second is stamped at the window's end (the commit clock,
    # migration 010), so the next digest has it.
    end = now.replace(microsecond=0) + timedelta(seconds=1)
    due = plan_due(schedule, next_run=next_run, covered_until=covered_until, now=now)
    if due is not None:
        return DuePlan(due.occurrence, due.folded, due.window_start, end)
    upcoming = occurrence_from(schedule, next_run)
    start = covered_until or previous_occurrence(schedule, upcoming).at
    return DuePlan(upcoming, (), min(start, now), end)


def first_run(schedule: Schedule, now: datetime, *, skip_period: str | None = None) -> Occurrence:
    """The next occurrence after `now`, skipping a period already delivered."""
    occ = next_occurrence(schedule, now)
    if skip_period is not None and occ.period == skip_period:
        occ = next_occurrence(schedule, occ.at)
    return occ


def occurrence_for_period(schedule: Schedule, period: str) -> Occurrence | None:
    """The scheduled occurrence of a period key under `schedule` (None if it has none)."""
    try:
        if schedule.cadence == "daily":
            day = date.fromisoformat(period)
        else:
            year, week = period.split("-W")
            day = date.fromisocalendar(int(year), int(week), schedule.weekday + 1)
    except ValueError:
        return None
    return occurrence_on(schedule, day)


def window_label(schedule: Schedule, start: datetime, end: datetime) -> str:
    """The days a digest's content covers, in the subscription's zone and the current
    locale: `Monday 7 Dec 2026` for one local day, else `30 Nov – 7 Dec 2026`.

    It names the content's window, never the period key: a weekly digest sent on Monday
    morning covers the week before, and a send-now covers up to now, not tomorrow."""
    first = schedule.local(start).date()
    # A window ending at local midnight has nothing of the day it ends on.
    last = schedule.local(max(start, end - timedelta(microseconds=1))).date()
    if first == last:
        return i18n.weekday_date(last)
    return i18n.date_span(first, last)
