"""Digest schedules: occurrences, period keys, DST, folding — pure, no clock."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.digests.schedule import (
    Occurrence,
    Schedule,
    first_run,
    latest_occurrence,
    next_occurrence,
    occurrence_for_period,
    occurrence_on,
    parse_time,
    parse_timezone,
    parse_weekday,
    plan_due,
    plan_now,
)
from bot.domain.errors import InvalidInput


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(zone: str, at: time = time(9, 0), weekday: int = 0) -> Schedule:
    return Schedule("weekly", weekday, at, zone)


def daily(zone: str, at: time) -> Schedule:
    return Schedule("daily", 0, at, zone)


def occurrences(schedule: Schedule, start: datetime, count: int) -> list[Occurrence]:
    found, moment = [], start
    for _ in range(count):
        occ = next_occurrence(schedule, moment)
        found.append(occ)
        moment = occ.at
    return found


@pytest.mark.parametrize("zone", ["Asia/Seoul", "Asia/Tokyo"])
def test_zones_without_dst_fire_at_the_same_utc_time_all_year(zone: str) -> None:
    occs = occurrences(weekly(zone), utc(2025, 1, 1), 53)
    assert {o.at.time() for o in occs} == {time(0, 0)}
    assert all(o.at.weekday() == 0 for o in occs)
    assert len({o.period for o in occs}) == 53


def test_new_york_monday_0900_follows_both_switches() -> None:
    s = weekly("America/New_York")
    occs = occurrences(s, utc(2025, 3, 1), 40)
    by_date = {o.local_date: o.at.hour for o in occs}
    assert by_date[date(2025, 3, 3)] == 14  # EST
    assert by_date[date(2025, 3, 10)] == 13  # EDT, the day after the switch
    assert by_date[date(2025, 10, 27)] == 13
    assert by_date[date(2025, 11, 3)] == 14  # EST again
    assert all(s.local(o.at).time() == time(9, 0) for o in occs)


def test_berlin_monday_0900_follows_both_switches() -> None:
    s = weekly("Europe/Berlin")
    occs = {o.local_date: o.at.hour for o in occurrences(s, utc(2025, 3, 20), 35)}
    assert occs[date(2025, 3, 24)] == 8  # CET
    assert occs[date(2025, 3, 31)] == 7  # CEST
    assert occs[date(2025, 10, 27)] == 8  # CET


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("America/New_York", date(2025, 3, 9), utc(2025, 3, 9, 7, 30)),  # 03:30 EDT
        ("Europe/Berlin", date(2025, 3, 30), utc(2025, 3, 30, 1, 30)),  # 03:30 CEST
    ],
)
def test_a_local_time_that_does_not_exist_moves_forward(
    zone: str, day: date, expected: datetime
) -> None:
    s = daily(zone, time(2, 30))
    occ = occurrence_on(s, day)
    assert occ is not None and occ.at == expected and occ.period == day.isoformat()
    # Exactly one occurrence that day, and the days around it are untouched.
    occs = occurrences(s, datetime.combine(day, time(0), s.zone) - timedelta(days=1), 3)
    assert [o.local_date for o in occs] == [day - timedelta(days=1), day, day + timedelta(days=1)]


@pytest.mark.parametrize(
    ("zone", "day", "first"),
    [
        ("America/New_York", date(2025, 11, 2), utc(2025, 11, 2, 5, 30)),  # 01:30 EDT
        ("Europe/Berlin", date(2025, 10, 26), utc(2025, 10, 26, 0, 30)),  # 02:30 CEST
    ],
)
def test_a_local_time_that_occurs_twice_fires_once(zone: str, day: date, first: datetime) -> None:
    at = time(1, 30) if zone == "America/New_York" else time(2, 30)
    s = daily(zone, at)
    occ = next_occurrence(s, first - timedelta(hours=2))
    assert occ.at == first
    # The second wall-clock 01:30 (an hour later) is not an occurrence: next is tomorrow.
    following = next_occurrence(s, occ.at)
    assert following.local_date == day + timedelta(days=1)
    assert following.at - occ.at == timedelta(hours=25)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Asia/Seoul", "UTC"])
@pytest.mark.parametrize("at", [time(0, 0), time(1, 30), time(2, 30), time(9, 0), time(23, 59)])
def test_a_year_of_daily_occurrences_has_one_per_local_date(zone: str, at: time) -> None:
    s = daily(zone, at)
    start = datetime.combine(date(2025, 1, 1), time(0), s.zone) - timedelta(seconds=1)
    occs = occurrences(s, start, 365)
    days = [o.local_date for o in occs]
    assert days == [date(2025, 1, 1) + timedelta(days=i) for i in range(365)]
    assert [o.period for o in occs] == [d.isoformat() for d in days]
    assert all(b.at > a.at for a, b in itertools.pairwise(occs))


def test_weekly_periods_are_local_iso_weeks() -> None:
    s = weekly("Asia/Tokyo", time(8, 0), weekday=6)  # Sunday 08:00 Tokyo = Saturday 23:00 UTC
    occ = next_occurrence(s, utc(2025, 3, 1))
    assert occ.at == utc(2025, 3, 1, 23, 0)
    assert occ.local_date == date(2025, 3, 2) and occ.period == "2025-W09"
    assert occurrence_for_period(s, "2025-W09") == occ


def test_latest_occurrence_and_first_run() -> None:
    s = weekly("UTC")
    assert latest_occurrence(s, utc(2025, 3, 12)).at == utc(2025, 3, 10, 9)
    assert latest_occurrence(s, utc(2025, 3, 10, 9)).at == utc(2025, 3, 10, 9)
    assert first_run(s, utc(2025, 3, 10, 9)).at == utc(2025, 3, 17, 9)
    assert first_run(s, utc(2025, 3, 10, 8), skip_period="2025-W11").at == utc(2025, 3, 17, 9)


def test_nothing_is_due_before_the_next_run() -> None:
    s = weekly("UTC")
    plan = plan_due(s, next_run=utc(2025, 3, 10, 9), covered_until=None, now=utc(2025, 3, 10, 8))
    assert plan is None


def test_due_plan_covers_the_previous_period_by_default() -> None:
    s = weekly("UTC")
    plan = plan_due(s, next_run=utc(2025, 3, 10, 9), covered_until=None, now=utc(2025, 3, 10, 9))
    assert plan is not None
    assert plan.period == "2025-W11" and plan.folded == ()
    assert (plan.window_start, plan.window_end) == (utc(2025, 3, 3, 9), utc(2025, 3, 10, 9))


def test_downtime_folds_missed_periods_into_the_latest() -> None:
    s = weekly("Europe/Berlin")
    covered = utc(2025, 3, 3, 8)
    plan = plan_due(s, next_run=utc(2025, 3, 10, 8), covered_until=covered, now=utc(2025, 4, 2))
    assert plan is not None
    assert plan.period == "2025-W14"  # Monday 31 March, the latest due
    assert plan.folded == ("2025-W11", "2025-W12", "2025-W13")
    assert plan.window_start == covered and plan.window_end == utc(2025, 3, 31, 7)


def test_daily_downtime_across_the_new_york_switch_folds_once() -> None:
    s = daily("America/New_York", time(2, 30))
    plan = plan_due(
        s, next_run=utc(2025, 3, 8, 7, 30), covered_until=None, now=utc(2025, 3, 10, 12)
    )
    assert plan is not None
    assert plan.period == "2025-03-10" and plan.folded == ("2025-03-08", "2025-03-09")
    assert plan.window_start == utc(2025, 3, 7, 7, 30)


def test_send_now_early_takes_the_upcoming_period_up_to_now() -> None:
    s = weekly("UTC")
    now = utc(2025, 3, 12, 15)
    plan = plan_now(s, next_run=utc(2025, 3, 17, 9), covered_until=utc(2025, 3, 10, 9), now=now)
    # Up to the end of the current second: what was added in it is in the digest.
    assert plan.period == "2025-W12" and plan.window_end == now + timedelta(seconds=1)
    assert plan.window_start == utc(2025, 3, 10, 9)


def test_send_now_when_overdue_takes_the_owed_period() -> None:
    s = weekly("UTC")
    now = utc(2025, 3, 18, 15)
    plan = plan_now(s, next_run=utc(2025, 3, 17, 9), covered_until=None, now=now)
    # Up to the end of the current second: what was added in it is in the digest.
    assert plan.period == "2025-W12" and plan.window_end == now + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Europe/Berlin", "Europe/Berlin"), ("america/new_york", "America/New_York"), ("", "UTC")],
)
def test_parse_timezone(value: str, expected: str) -> None:
    assert parse_timezone(value) == expected


def test_bad_inputs_name_the_valid_form() -> None:
    with pytest.raises(InvalidInput, match=r"IANA time zone.*Europe/Berlin"):
        parse_timezone("Mars/Olympus")
    with pytest.raises(InvalidInput, match="monday, tuesday, … sunday"):
        parse_weekday("someday")
    with pytest.raises(InvalidInput, match="24-hour HH:MM"):
        parse_time("25:00")
    with pytest.raises(InvalidInput, match="HH:MM"):
        parse_time("nine")
    assert parse_weekday("Fri") == 4 and parse_weekday("sunday") == 6 and parse_weekday(3) == 3
    assert parse_time("9:05") == time(9, 5) and parse_time("17:30") == time(17, 30)
