"""The metrics' own rules: which digests count as waiting, which outcomes are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.metrics import Metrics, Waiting, waiting
from bot.domain.feeds import PollReport
from bot.domain.schedule import Schedule
from bot.domain.scope import Platform
from bot.domain.subscriptions import Subscription

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def sub(
    platform: Platform, next_run: datetime | None, cadence: str = "weekly", active: bool = True
) -> Subscription:
    return Subscription(
        id=1,
        guild_id=1,
        channel_id=1,
        topics=("japan-korea",),
        schedule=Schedule(cadence="daily" if cadence == "daily" else "weekly"),
        post_empty=False,
        status="active" if active else "paused",
        paused_reason=None,
        created_by="t",
        created_at="2026-01-01T00:00:00Z",
        next_run=next_run,
        last_period=None,
        last_delivered_at=None,
        covered_until=None,
        platform=platform,
    )


def test_due_digests_wait_and_those_a_whole_period_late_are_past_their_period() -> None:
    subs = [
        sub("discord", NOW + timedelta(hours=1)),  # not due yet
        sub("discord", NOW - timedelta(hours=1)),  # due
        sub("discord", NOW - timedelta(days=1), cadence="daily"),  # a whole day late
        sub("telegram", NOW - timedelta(days=6)),  # weekly: due, not a week late yet
        sub("telegram", NOW - timedelta(days=8)),  # over a week late
        sub("telegram", NOW - timedelta(days=30), active=False),  # paused: not waiting
        sub("telegram", None),
    ]
    assert waiting(subs, NOW) == {
        "discord": Waiting(due=2, past_period=1),
        "telegram": Waiting(due=2, past_period=1),
    }


def test_only_final_outcomes_and_every_poll_are_counted() -> None:
    m = Metrics()
    for kind in ("sent", "sent", "failed", "retry-later", "standby", "busy"):
        m.digest_outcome("telegram", kind)
    m.feed_polled(PollReport(1, "https://example.com/a", "ok"))
    m.feed_polled(PollReport(1, "https://example.com/a", "unchanged"))
    m.feed_polled(PollReport(1, "https://example.com/a", "failed", error="timeout"))
    m.feed_polled(PollReport(1, "https://example.com/a", "paused", error="410"))
    value = m.registry.get_sample_value
    assert value("briefbot_digests_total", {"platform": "telegram", "outcome": "sent"}) == 2
    assert value("briefbot_digests_total", {"platform": "telegram", "outcome": "failed"}) == 1
    assert value("briefbot_digests_total", {"platform": "discord", "outcome": "sent"}) == 0
    assert value("briefbot_feed_polls_total", {"outcome": "ok"}) == 2
    assert value("briefbot_feed_polls_total", {"outcome": "failed"}) == 2


def test_each_process_starts_from_zero() -> None:
    first, second = Metrics(), Metrics()
    first.command_answered("brief", "discord", 0.2)
    labels = {"command": "brief", "platform": "discord"}
    assert first.registry.get_sample_value("briefbot_command_seconds_count", labels) == 1
    assert second.registry.get_sample_value("briefbot_command_seconds_count", labels) is None
