"""SimCord: /subscribe with include/exclude words and domains changes what the channel's
digest holds (previewed and delivered), and /subscriptions shows the filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.config import Settings
from bot.core.actors import OPERATOR
from bot.core.digests.pacing import Pacer, PacingConfig, RealTimer, RetryPolicy
from bot.core.validation import validate_development
from bot.discord.client import BriefBot
from bot.discord.exts.digests import Digests
from storage import subscriptions as store
from tests.discord._support import refusals, refused
from tests.discord.conftest import World, text_of
from tests.helpers import FixedClock

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
NEWS = (
    ("Seoul and Tokyo agree on semiconductor supply chains", "economy"),
    ("Tourism ministers open a visa-free corridor", "society"),
    ("Trilateral missile-defence drill off Jeju", "security"),
    ("Japan and Korea hold chip export talks over tourism season", "economy"),
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def simcord_bot(db_path: Path, clock: FixedClock) -> BriefBot:
    return BriefBot(Settings(database_path=db_path), clock=clock)


async def add_news(world: World, clock: FixedClock) -> None:
    clock.now = NOW + timedelta(hours=1)
    for title, domain in NEWS:
        raw = {
            "title": title,
            "summary": "Details.",
            "date": "2026-11-20",
            "countries": "JP KR",
            "domain": domain,
            "tags": "semiconductors" if "chip" in title else "",
            "sources": "https://example.com/x Wire",
        }
        await world.env.bot.services.catalogue.add(OPERATOR, validate_development(raw))
    clock.advance(minutes=1)


def shown(text: str) -> list[str]:
    return [title for title, _ in NEWS if title in text]


async def test_without_a_filter_the_digest_holds_everything(world: World, clock) -> None:
    await world.mod.slash(world.general, "subscribe")
    await add_news(world, clock)
    text = text_of(await world.mod.slash(world.general, "digest preview"))
    assert shown(text) == [t for t, _ in NEWS] and "Filter:" not in text


async def test_include_words_keep_only_developments_that_mention_them(world: World, clock) -> None:
    r = await world.mod.slash(world.general, "subscribe", include="Semiconductor, drill")
    assert "Filter: mentions semiconductor or drill" in r.response.content
    await add_news(world, clock)
    text = text_of(await world.mod.slash(world.general, "digest preview"))
    assert "-# Filter: mentions semiconductor or drill" in text
    assert shown(text) == [NEWS[0][0], NEWS[2][0], NEWS[3][0]]  # the last by its tag


async def test_exclude_words_and_domains_leave_developments_out(world: World, clock) -> None:
    await world.mod.slash(world.general, "subscribe", exclude="tourism", domains="economy, society")
    await add_news(world, clock)
    text = text_of(await world.mod.slash(world.general, "digest preview"))
    assert shown(text) == [NEWS[0][0]]
    listed = text_of(await world.mod.slash(world.general, "subscriptions"))
    assert "Filter: not tourism · economy, society only" in listed


async def test_the_delivered_digest_is_filtered_too(world: World, clock) -> None:
    await world.mod.slash(world.general, "subscribe", include="drill")
    await add_news(world, clock)
    digests = cast(Digests, world.env.bot.get_cog("Digests"))
    digests.engine.retry = RetryPolicy(base_delay=0.001, max_delay=0.01)
    fast = PacingConfig(global_rate=1000, global_burst=100, channel_rate=1000, channel_burst=100)
    digests.engine.pacer = Pacer(fast, RealTimer())
    sub = await store.subscription_for_channel(world.env.bot.services.db, world.general.id)
    assert sub is not None
    clock.now = MONDAY
    await digests.scheduler.fire(sub.id)
    (message,) = [m for m in world.general.history() if m.content.startswith("## 🗞️")]
    assert shown(message.content) == [NEWS[2][0]]


async def test_a_filter_that_keeps_nothing_shows_no_development(world: World, clock) -> None:
    await world.mod.slash(world.general, "subscribe", include="北朝鮮", topics="us-japan")
    await add_news(world, clock)
    text = text_of(await world.mod.slash(world.general, "digest preview"))
    assert shown(text) == [] and "-# Filter: mentions 北朝鮮" in text
    assert "Nothing new on these topics this period that passes the filter." in text


async def test_resubscribing_without_words_clears_the_filter(world: World, clock) -> None:
    await world.mod.slash(world.general, "subscribe", include="drill")
    await world.mod.slash(world.general, "subscribe")
    await add_news(world, clock)
    assert len(shown(text_of(await world.mod.slash(world.general, "digest preview")))) == 4


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"domains": "economy, sports"}, "'sports' is not a domain"),
        ({"include": "chips", "exclude": "chips"}, "both included and excluded"),
        ({"include": " ".join(f"w{i}" for i in range(11))}, "at most 10"),
    ],
)
async def test_bad_filters_are_refused_and_store_nothing(
    world: World, options: dict[str, Any], expected: str
) -> None:
    r = await world.mod.slash(world.general, "subscribe", **options)
    assert expected in refused(r)
    assert await store.subscription_for_channel(world.env.bot.services.db, world.general.id) is None
    refusals(world.env)


async def test_domains_autocomplete_builds_a_list(world: World) -> None:
    first = await world.mod.autocomplete(world.general, "subscribe", "domains", "")
    assert [c["value"] for c in first][:2] == ["all", "security"]
    more = await world.mod.autocomplete(world.general, "subscribe", "domains", "security, e")
    assert [c["value"] for c in more] == ["security, economy"]


async def test_domains_autocomplete_never_offers_a_choice_over_100_characters(
    world: World,
) -> None:
    # A long word typed before the last comma: completing it would make 104–106 characters
    # (Discord refuses the whole answer; the request hook would too).
    typed = "security, " + "economy" * 12 + ", "
    offered = await world.mod.autocomplete(world.general, "subscribe", "domains", typed)
    assert all(0 < len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in offered)
    short = "security, " + "economy" * 11 + "abc, "  # room for 7 more letters, not 9
    offered = await world.mod.autocomplete(world.general, "subscribe", "domains", short)
    assert [c["value"][len(short) :] for c in offered] == ["economy", "society"]
    topics = await world.mod.autocomplete(world.general, "subscribe", "topics", typed)
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in topics)
