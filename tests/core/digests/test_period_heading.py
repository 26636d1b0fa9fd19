"""A digest's heading names the days its content covers, in the subscription's zone: for a
preview, a send-now and a scheduled delivery alike (issue 20, items 6 and 8)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot import i18n
from bot.core.dataset import load_starter
from bot.core.digests.building import preview_text
from bot.core.digests.schedule import Schedule, plan_due, plan_now, window_label
from bot.core.rendering import Renderer
from storage.contract import Db
from tests.helpers import FixedClock


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


DASH = "\u2009–\u2009"  # CLDR's interval: an en dash between thin spaces
WEEKLY = Schedule()  # Mondays 09:00 UTC
SEOUL_DAILY = Schedule(cadence="daily", at=time(9, 0), timezone="Asia/Seoul")


@pytest.mark.parametrize(
    ("now", "next_run", "covered_until", "label"),
    [
        # Monday 01:38, before the 09:00 delivery: a preview covers the week before.
        (utc(2026, 12, 7, 1, 38), utc(2026, 12, 7, 9), None, f"30 Nov{DASH}7 Dec 2026"),
        # Monday 10:40, after it: a send-now covers this morning only.
        (utc(2026, 12, 7, 10, 40), utc(2026, 12, 14, 9), utc(2026, 12, 7, 9), "Monday 7 Dec 2026"),
        # Monday 23:59: still Monday.
        (utc(2026, 12, 7, 23, 59), utc(2026, 12, 14, 9), utc(2026, 12, 7, 9), "Monday 7 Dec 2026"),
    ],
)
def test_send_now_and_preview_on_monday_name_the_days_covered(
    now: datetime, next_run: datetime, covered_until: datetime | None, label: str
) -> None:
    plan = plan_now(WEEKLY, next_run=next_run, covered_until=covered_until, now=now)
    assert window_label(WEEKLY, plan.window_start, plan.window_end) == label


def test_the_scheduled_monday_digest_names_the_week_before() -> None:
    plan = plan_due(
        WEEKLY, next_run=utc(2026, 12, 7, 9), covered_until=None, now=utc(2026, 12, 7, 9)
    )
    assert plan is not None
    assert window_label(WEEKLY, plan.window_start, plan.window_end) == f"30 Nov{DASH}7 Dec 2026"


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Monday 7 Dec 2026"), ("ja", "2026年12月7日月曜日"), ("ko", "2026년 12월 7일 월요일")],
)
def test_a_send_now_at_10_40_in_seoul_is_headed_with_seouls_monday(
    language: str, label: str
) -> None:
    # Monday 10:40 in Seoul is 01:40 UTC; Monday's 09:00 digest went out, Tuesday's is next.
    plan = plan_now(
        SEOUL_DAILY,
        next_run=utc(2026, 12, 8, 0),
        covered_until=utc(2026, 12, 7, 0),
        now=utc(2026, 12, 7, 1, 40),
    )
    with i18n.use_locale(language):
        assert window_label(SEOUL_DAILY, plan.window_start, plan.window_end) == label


def test_before_nine_in_seoul_the_digest_covers_sunday_morning_to_now() -> None:
    plan = plan_now(
        SEOUL_DAILY,
        next_run=utc(2026, 12, 7, 0),
        covered_until=utc(2026, 12, 6, 0),
        now=utc(2026, 12, 6, 23, 59),  # Monday 08:59 in Seoul
    )
    assert window_label(SEOUL_DAILY, plan.window_start, plan.window_end) == f"6{DASH}7 Dec 2026"


async def test_briefbot_digest_preview_heading(db: Db) -> None:
    text = await preview_text(db, Renderer("terminal"), utc(2026, 12, 7, 1, 38))
    assert text.splitlines()[1].startswith(f"30 Nov{DASH}7 Dec 2026 · ")


async def test_a_fresh_installs_first_digest_sets_no_starter_assessment(
    empty_db: Db,
) -> None:
    install = FixedClock(utc(2026, 12, 7, 1, 38))
    await load_starter(empty_db, install)
    text = await preview_text(empty_db, Renderer("terminal"), utc(2026, 12, 7, 1, 40))
    assert "ASSESSMENTS" not in text
    assert "Nothing new on these topics this period" in text
