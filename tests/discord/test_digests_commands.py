"""SimCord: /subscribe, /unsubscribe, /subscriptions and /digest as member and moderator,
and digests appearing once in the channel — scheduled, sent now, after a restart, and when
Discord answers 403, 404, 500 and 429.

The bot runs on a clock the test moves. The scheduler's jobs run in real time, so these
tests call what a job runs (`scheduler.fire` / `scheduler.sweep`) after moving the clock;
tests/core/test_digest_scheduler.py checks that the real APScheduler jobs do run them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import discord
import pytest
from simcord.builders import ChannelHandle

from bot.config import Settings
from bot.core.actors import OPERATOR
from bot.core.digests.liveness import Liveness
from bot.core.digests.pacing import Pacer, PacingConfig, RealTimer, RetryPolicy
from bot.core.validation import validate_development
from bot.discord.client import BriefBot
from bot.discord.exts.digests import Digests
from bot.domain.subscriptions import Subscription
from storage import subscriptions as store
from tests.discord._support import assert_no_pings, refusals, refused
from tests.discord.conftest import World, text_of
from tests.harness.fake_poster import HeldPoster
from tests.helpers import FixedClock

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def make_bot(db_path: Path, clock: FixedClock) -> BriefBot:
    return BriefBot(Settings(database_path=db_path), clock=clock)


@pytest.fixture
def simcord_bot(db_path: Path, clock: FixedClock) -> BriefBot:
    return make_bot(db_path, clock)


def cog(world: World) -> Digests:
    # load_extension executes the module afresh, so compare by name, not by class object.
    found = cast(Digests, world.env.bot.get_cog("Digests"))
    assert type(found).__name__ == "Digests"
    # Real sleeps stay tiny: back-off in milliseconds, pacing far above what tests post.
    found.engine.retry = RetryPolicy(base_delay=0.001, max_delay=0.01)
    fast = PacingConfig(global_rate=1000, global_burst=100, channel_rate=1000, channel_burst=100)
    found.engine.pacer = Pacer(fast, RealTimer())
    return found


def posts(channel: Any) -> list[discord.Message]:
    return [m for m in channel.history() if m.content.startswith("## 🗞️")]


async def add_development(world: World, title: str, clock: FixedClock) -> None:
    raw = {
        "title": title,
        "summary": "Details.",
        "date": "2026-11-20",
        "countries": "JP KR",
        "domain": "diplomacy",
        "sources": "https://example.com/x | Wire | A report",
    }
    await world.env.bot.services.catalogue.add(OPERATOR, validate_development(raw))


async def subscription(world: World, channel: Any) -> Subscription:
    sub = await store.subscription_for_channel(world.env.bot.services.db, channel.id)
    assert sub is not None
    return sub


# --- commands ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("subscribe", {}),
        ("unsubscribe", {}),
        ("subscriptions", {}),
        ("digest preview", {}),
        ("digest send-now", {}),
    ],
)
async def test_members_are_refused_privately_and_nothing_changes(
    world: World, command: str, options: dict[str, Any]
) -> None:
    await world.mod.slash(world.general, "subscribe")
    before = await subscription(world, world.general)
    r = await world.member.slash(world.general, command, **options)
    assert "moderators" in refused(r)
    assert await subscription(world, world.general) == before
    assert posts(world.general) == []
    refusals(world.env)


async def test_subscribe_answers_with_the_next_delivery_in_zone_and_as_timestamp(
    world: World,
) -> None:
    r = await world.mod.slash(world.general, "subscribe")
    text = refused(r)  # ephemeral
    assert "Subscribed" in text and "every Monday at 09:00 (UTC)" in text
    assert "Mon 30 Nov 2026, 09:00 (UTC)" in text
    assert f"<t:{int(MONDAY.timestamp())}:f>" in text and ":R>" in text
    r = await world.mod.slash(
        world.general,
        "subscribe",
        topics="japan-korea, north-korea",
        cadence="daily",
        time="17:30",
        timezone="Asia/Seoul",
        post_empty=True,
    )
    text = refused(r)
    assert "Updated" in text and "every day at 17:30 (Asia/Seoul)" in text
    assert "Thu 26 Nov 2026, 17:30 (Asia/Seoul)" in text  # 12:00 UTC is 21:00 in Seoul
    sub = await subscription(world, world.general)
    assert sub.topics == ("japan-korea", "north-korea") and sub.post_empty
    assert sub.next_run == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    assert assert_no_pings(world.env) >= 2


async def test_subscribe_uses_the_server_time_zone_by_default(world: World) -> None:
    await world.mod.slash(world.general, "settings", timezone="America/New_York")
    r = await world.mod.slash(world.general, "subscribe", weekday="friday")
    assert "every Friday at 09:00 (America/New\\_York)" in refused(r)
    sub = await subscription(world, world.general)
    assert sub.next_run == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "America/New\\_York"),
        ({"weekday": "someday"}, "monday, tuesday, … sunday"),
        ({"time": "25:99"}, "24-hour HH:MM"),
        ({"topics": "japan-koera"}, "japan-korea"),
    ],
)
async def test_bad_options_are_refused_with_the_valid_form(
    world: World, options: dict[str, str], expected: str
) -> None:
    r = await world.mod.slash(world.general, "subscribe", **options)
    assert expected in refused(r)
    assert await store.subscription_for_channel(world.env.bot.services.db, world.general.id) is None
    refusals(world.env)


async def test_autocomplete_for_zone_weekday_and_topics(world: World) -> None:
    zones = await world.mod.autocomplete(world.general, "subscribe", "timezone", "Asia/Se")
    assert {"name": "Asia/Seoul", "value": "Asia/Seoul"} in zones
    days = await world.mod.autocomplete(world.general, "subscribe", "weekday", "fr")
    assert days == [{"name": "Friday", "value": "friday"}]
    topics = await world.mod.autocomplete(
        world.general, "subscribe", "topics", "trilateral, japan-k"
    )
    assert topics[0]["value"] == "trilateral, japan-korea"


async def test_subscriptions_lists_state_and_unsubscribe_stops(world: World) -> None:
    news = world.alpha.create_text_channel("news")
    await world.mod.slash(world.general, "subscribe")
    await world.mod.slash(world.general, "subscribe", channel=news, cadence="daily")
    r = await world.mod.slash(world.general, "subscriptions")
    assert r.ephemeral
    text = text_of(r)
    assert f"<#{world.general.id}>" in text and f"<#{news.id}>" in text
    assert "every day at 09:00 (UTC)" in text and "not delivered yet" in text
    assert "Topics: trilateral, japan-korea, us-japan, us-korea" in text
    r = await world.mod.slash(world.general, "unsubscribe", channel=news)
    assert "no longer gets digests" in refused(r)
    assert f"<#{news.id}>" not in text_of(await world.mod.slash(world.general, "subscriptions"))
    r = await world.mod.slash(world.general, "unsubscribe", channel=news)
    assert "no digest subscription" in refused(r)
    refusals(world.env)


async def test_another_servers_moderator_cannot_see_or_touch_ours(world: World) -> None:
    await world.mod.slash(world.general, "subscribe")
    r = await world.beta_mod.slash(world.beta_general, "subscriptions")
    assert "No channel here gets digests yet" in text_of(r)


async def test_preview_is_private_and_posts_nothing(world: World, clock: FixedClock) -> None:
    await world.mod.slash(world.general, "subscribe")
    clock.now = NOW + timedelta(hours=1)
    await add_development(world, "Seoul and Tokyo open a hotline", clock)
    clock.advance(minutes=1)
    r = await world.mod.slash(world.general, "digest preview")
    assert r.ephemeral and "Seoul and Tokyo open a hotline" in text_of(r)
    assert posts(world.general) == []
    assert (
        await store.deliveries(
            world.env.bot.services.db, (await subscription(world, world.general)).id
        )
        == []
    )


# --- delivery ----------------------------------------------------------------------------


async def test_a_scheduled_digest_appears_once(world: World, clock: FixedClock) -> None:
    await world.mod.slash(world.general, "subscribe")
    sub = await subscription(world, world.general)
    clock.now = NOW + timedelta(days=1)
    await add_development(world, "@everyone Tokyo and Seoul sign a pact", clock)
    digests = cog(world)
    assert sub.id in digests.scheduler.jobs()
    clock.now = MONDAY
    await digests.scheduler.fire(sub.id)
    await digests.scheduler.sweep()
    await digests.scheduler.fire(sub.id)
    (message,) = posts(world.general)
    assert "Tokyo and Seoul sign a pact" in message.content
    assert not message.mention_everyone
    assert "part 1/1 · ref " in message.content.rsplit("\n", 1)[-1]
    assert_no_pings(world.env)
    assert (await subscription(world, world.general)).next_run == MONDAY + timedelta(weeks=1)


async def test_send_now_then_schedule_then_restart_post_the_period_once(
    world: World, clock: FixedClock, db_path: Path
) -> None:
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    sub = await subscription(world, world.general)
    r = await world.mod.slash(world.general, "digest send-now")
    assert "Posted the digest for 2026-W49" in refused(r)
    assert len(posts(world.general)) == 1
    clock.now = MONDAY
    digests = cog(world)
    await digests.scheduler.fire(sub.id)
    await digests.scheduler.sweep()
    r = await world.mod.slash(world.general, "digest send-now")
    assert "2026-W50" in refused(r)  # the next period, early
    assert len(posts(world.general)) == 2
    await world.env.restart_bot(make_bot(db_path, clock))
    await world.env.settle()
    await cog(world).scheduler.sweep()
    assert len(posts(world.general)) == 2
    rows = await store.deliveries(world.env.bot.services.db, sub.id)
    assert [(r.period, r.state) for r in rows] == [("2026-W49", "sent"), ("2026-W50", "sent")]


async def test_a_restart_after_downtime_catches_up_once(
    world: World, clock: FixedClock, db_path: Path
) -> None:
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    clock.now = MONDAY + timedelta(weeks=2, hours=3)  # two Mondays missed while "down"
    await world.env.restart_bot(make_bot(db_path, clock))
    await world.env.settle()
    (message,) = posts(world.general)
    assert "Also covers 2 earlier periods" in message.content
    await world.env.restart_bot(make_bot(db_path, clock))
    await world.env.settle()
    assert len(posts(world.general)) == 1


@pytest.mark.parametrize("how", ["forbidden", "deleted"])
async def test_a_channel_the_bot_lost_pauses_its_subscription(
    world: World, clock: FixedClock, how: str
) -> None:
    news = world.alpha.create_text_channel("news")
    await world.mod.slash(world.general, "subscribe", channel=news, post_empty=True)
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    if how == "forbidden":
        channel = world.env.bot.get_channel(news.id)
        await channel.set_permissions(world.alpha.me, send_messages=False)
    else:
        world.env.backend.delete_channel(news.id)
    await world.env.settle()
    clock.now = MONDAY
    outcomes = await cog(world).scheduler.sweep()
    # A 403 is learnt by trying; a deletion is announced by Discord, so no request is wasted.
    expected = ["paused", "sent"] if how == "forbidden" else ["sent"]
    assert sorted(o.kind for o in outcomes) == expected
    assert len(posts(world.general)) == 1
    text = text_of(await world.mod.slash(world.general, "subscriptions"))
    assert "paused" in text
    assert ("may no longer post" if how == "forbidden" else "The channel was deleted") in text
    requests = len(world.env.http_requests)
    clock.now = MONDAY + timedelta(weeks=1)
    await cog(world).scheduler.sweep()
    news_posts = [e for e in world.env.http_requests if e.path == f"/channels/{news.id}/messages"]
    assert len(news_posts) == (1 if how == "forbidden" else 0)
    assert len(world.env.http_requests) > requests


@pytest.mark.parametrize("status", [500, 429])
async def test_server_errors_and_rate_limits_are_retried(
    world: World, clock: FixedClock, status: int
) -> None:
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    world.env.inject_error("POST", f"/channels/{world.general.id}/messages", status=status, times=2)
    # SimCord answers below discord.py's own retry loop, so each error reaches the engine,
    # which posts once per attempt and leaves the next attempt to the next sweep.
    kinds = []
    for minute in range(3):
        clock.now = MONDAY + timedelta(minutes=minute)
        kinds += [o.kind for o in await cog(world).scheduler.sweep()]
    assert kinds == ["retry-later", "retry-later", "sent"]
    assert len(posts(world.general)) == 1


async def test_persistent_errors_do_not_block_other_channels(
    world: World, clock: FixedClock
) -> None:
    news = world.alpha.create_text_channel("news")
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    await world.mod.slash(world.general, "subscribe", channel=news, post_empty=True)
    world.env.inject_error("POST", f"/channels/{world.general.id}/messages", status=502, times=None)
    clock.now = MONDAY
    outcomes = await cog(world).scheduler.sweep()
    assert sorted(o.kind for o in outcomes) == ["retry-later", "sent"]
    assert len(posts(news)) == 1
    world.env.backend.faults.clear()
    clock.now = MONDAY + timedelta(minutes=1)
    (outcome,) = await cog(world).scheduler.sweep()
    assert outcome.kind == "sent" and outcome.resumed
    assert len(posts(world.general)) == 1


async def test_subscribe_answers_in_time_when_the_database_is_slow(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read (the caller's moderator role) takes longer than Discord's 3 s: the
    command has already deferred, so the answer still arrives."""
    from storage.sqlite.database import Database

    armed = {"next": True}
    original = Database.fetchone

    async def slow_fetchone(self: Database, *args: Any, **kwargs: Any) -> Any:
        if armed["next"]:
            armed["next"] = False
            await asyncio.sleep(3.5)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Database, "fetchone", slow_fetchone)
    r = await world.member.slash(world.general, "subscribe")
    assert not armed["next"]  # the delay happened
    assert "moderators" in refused(r)
    refusals(world.env)
    armed["next"] = True
    r = await world.mod.slash(world.general, "subscribe")
    assert "Subscribed" in refused(r)


async def test_leaving_a_server_pauses_its_subscriptions(world: World, clock: FixedClock) -> None:
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    await world.beta_mod.slash(world.beta_general, "subscribe", post_empty=True)
    guild = world.env.bot.get_guild(world.alpha.id)
    assert guild is not None
    await cog(world).on_guild_remove(guild)  # what GUILD_DELETE dispatches
    alpha = await subscription(world, world.general)
    assert (
        alpha.status == "paused" and alpha.paused_reason == "The bot was removed from this server."
    )
    assert (await subscription(world, world.beta_general)).active
    assert set(cog(world).scheduler.jobs()) == {(await subscription(world, world.beta_general)).id}
    clock.now = MONDAY
    (outcome,) = await cog(world).scheduler.sweep()
    assert outcome.kind == "sent" and posts(world.general) == []


# --- issue 10: permissions, threads and forums ---------------------------------------------


async def test_subscribe_refuses_a_channel_without_read_message_history(world: World) -> None:
    news = world.alpha.create_text_channel("news")
    channel = world.env.bot.get_channel(news.id)
    await channel.set_permissions(world.alpha.me, read_message_history=False)
    await world.env.settle()
    r = await world.mod.slash(world.general, "subscribe", channel=news)
    text = refused(r)
    assert "Read Message History" in text and "Send Messages" not in text
    assert await store.subscription_for_channel(world.env.bot.services.db, news.id) is None
    refusals(world.env)


async def test_a_deleted_thread_pauses_its_subscription(world: World, clock: FixedClock) -> None:
    backend = world.env.backend
    raw = backend.create_thread(world.general.id, "digests", world.mod.id)
    await world.env.settle()
    thread = ChannelHandle(world.env, world.alpha, raw)
    r = await world.mod.slash(thread, "subscribe", post_empty=True)
    assert "Subscribed" in refused(r)
    sub = await subscription(world, thread)
    backend.delete_channel(thread.id)  # Discord sends THREAD_DELETE
    await world.env.settle()
    after = await subscription(world, thread)
    assert after.status == "paused" and after.paused_reason == "The thread was deleted."
    assert sub.id not in cog(world).scheduler.jobs()


async def test_a_forum_subscription_gets_a_new_post_per_digest(
    world: World, clock: FixedClock
) -> None:
    forum = world.alpha.create_forum_channel("briefings")
    await world.env.settle()
    r = await world.mod.slash(world.general, "subscribe", channel=forum, post_empty=True)
    assert "Subscribed" in refused(r)
    sub = await subscription(world, forum)
    clock.now = NOW + timedelta(days=1)
    for i in range(25):  # enough for a digest of several parts
        await add_development(
            world, f"Tokyo and Seoul agree step {i:02d} " + "of a plan " * 12, clock
        )
    for week in range(2):
        clock.now = MONDAY + timedelta(weeks=week)
        await cog(world).scheduler.fire(sub.id)
    await world.env.settle()
    posts_made = sorted(forum.threads, key=lambda t: t.id)
    assert len(posts_made) == 2
    rows = await store.deliveries(world.env.bot.services.db, sub.id)
    assert [r.state for r in rows] == ["sent", "sent"]
    first = [m.content for m in posts_made[0].history() if m.content]
    assert first == list(rows[0].parts) and len(first) >= 2
    assert rows[0].period in (posts_made[0].name or "")
    assert [m.content for m in posts_made[1].history() if m.content] == list(rows[1].parts)
    assert_no_pings(world.env)


async def test_subscriptions_shows_a_digest_waiting_for_its_platform(world: World) -> None:
    """A digest no running process could send for over a period (another process's
    sweeps marked it) says why in /subscriptions."""
    await world.mod.slash(world.general, "subscribe")
    db = world.env.bot.services.db
    sub = await store.subscription_for_channel(db, world.general.id)
    assert sub is not None
    async with db.transaction() as w:
        await store.set_waiting_for(w, sub.id, "discord")
    text = text_of(await world.mod.slash(world.general, "subscriptions"))
    assert "Waiting: no running process has Discord, so this digest cannot be sent yet." in text


async def test_a_graceful_stop_finishes_the_part_in_flight_then_gives_up_the_lead(
    world: World, clock: FixedClock
) -> None:
    """Unloading the digests (the bot closing) stops sending first, then gives up the
    lead and the liveness lock: an overlapping deploy never posts the part again."""
    await world.mod.slash(world.general, "subscribe", cadence="daily", post_empty=True)
    services = world.env.bot.services
    hub = services.digests
    in_flight = HeldPoster(hub.poster.posters["discord"])
    hub.poster.posters["discord"] = in_flight
    clock.now = NOW + timedelta(days=1)
    sweep = asyncio.create_task(cog(world).scheduler.sweep())
    await asyncio.wait_for(in_flight.started.wait(), 10)  # a test that fails, never hangs
    stopping = asyncio.create_task(world.env.bot.unload_extension("bot.discord.exts.digests"))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not stopping.done()
    leader = await store.delivery_leader(services.db, "discord")
    assert leader is not None and leader[0] == hub.engine.owner
    other = Liveness.beside(services.db.path)
    assert other.alive(hub.engine.owner) is True
    in_flight.go.set()
    await asyncio.wait_for(stopping, 10)
    assert [o.kind for o in await sweep] == ["sent"]
    assert len(posts(world.general)) == 1
    assert await store.delivery_leader(services.db, "discord") is None
    assert other.alive(hub.engine.owner) is False
