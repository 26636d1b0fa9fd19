"""Building one period's digests for many subscriptions: one shared read of the window, one
render per distinct digest, and each subscription still gets exactly its own content."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from bot.core.catalogue import Catalogue
from bot.core.digests.building import DigestBuilder, compose_digest
from bot.core.digests.parts import render_parts
from bot.core.digests.schedule import DuePlan, Schedule, first_run, plan_now
from bot.core.rendering import Renderer
from bot.core.validation import validate_development
from bot.domain.clock import iso_utc
from bot.domain.digest_filter import DigestFilter
from bot.domain.scope import Scope
from bot.domain.settings import ScopeSettings
from bot.domain.subscriptions import Subscription
from storage.settings import put_scope_settings
from storage.sqlite.database import Database
from tests.helpers import EDITOR, GUILD_A, GUILD_B, MOD_A, FixedClock, raw_development


class CountingRenderer(Renderer):
    """The real Discord renderer, counting whole-template renders."""

    def __init__(self) -> None:
        super().__init__("discord")
        self.renders = 0

    def render(self, name: str, **context: Any) -> str:
        self.renders += 1
        return super().render(name, **context)


def _subscription(
    sub_id: int, guild: int, topics: tuple[str, ...], clock: FixedClock
) -> Subscription:
    schedule = Schedule()
    return Subscription(
        id=sub_id,
        guild_id=guild,
        channel_id=700 + sub_id,
        topics=topics,
        schedule=schedule,
        post_empty=True,
        status="active",
        paused_reason=None,
        created_by="test",
        created_at=iso_utc(clock()),
        next_run=first_run(schedule, clock()).at,
        last_period=None,
        last_delivered_at=None,
        covered_until=None,
    )


async def _week_of_news(catalogue: Catalogue, clock: FixedClock) -> None:
    clock.advance(hours=1)
    await catalogue.add(EDITOR, validate_development(raw_development(title="Seoul and Tokyo meet")))
    clock.advance(hours=1)
    await catalogue.add(
        EDITOR,
        validate_development(raw_development(title="Trilateral drill", countries="US JP KR")),
    )
    clock.advance(hours=1)
    await catalogue.add(
        MOD_A,
        validate_development(raw_development(title="Server A's own note")),
        scope="server",
    )


def _plan(sub: Subscription, clock: FixedClock) -> DuePlan:
    assert sub.next_run is not None
    return plan_now(sub.schedule, next_run=sub.next_run, covered_until=None, now=clock())


async def _trace_reads(db: Database) -> list[str]:
    """Every SELECT the database's connection runs from now on (SQLite's trace hook)."""
    seen: list[str] = []
    await db._conn.set_trace_callback(
        lambda sql: seen.append(sql) if sql.lstrip().upper().startswith("SELECT") else None
    )
    return seen


async def test_a_period_is_read_once_and_each_distinct_digest_rendered_once(
    db: Database, catalogue: Catalogue, clock: FixedClock
) -> None:
    topic_sets = [("japan-korea",), ("us-japan-korea", "japan-korea"), ("us-korea",)]
    subs = [_subscription(i, GUILD_B + i, topic_sets[i % 3], clock) for i in range(1, 31)]
    await _week_of_news(catalogue, clock)
    clock.advance(days=8)
    plans = [(sub, _plan(sub, clock)) for sub in subs]
    assert len({(p.window_start, p.window_end) for _, p in plans}) == 1
    renderer = CountingRenderer()
    builder = DigestBuilder(db, renderer)
    reads = await _trace_reads(db)
    built = [await builder(sub, plan) for sub, plan in plans]
    await db._conn.set_trace_callback(cast(Any, None))  # tracing off
    # One window read; each build only checks the window's cheap fingerprint (an indexed
    # count), so a row committed since the read is never served from the cache.
    window_reads = [sql for sql in reads if "FROM developments" in sql and "count(*)" not in sql]
    assert len(window_reads) == 1
    assert renderer.renders == len(topic_sets)
    # Each is what composing that subscription's digest on its own gives.
    for (sub, plan), parts in zip(plans, built, strict=True):
        alone = render_parts(Renderer("discord"), await compose_digest(db, sub, plan))
        assert parts == alone


async def test_a_row_committed_after_the_read_is_in_the_next_build(
    db: Database, catalogue: Catalogue, clock: FixedClock
) -> None:
    """The delivery engine composes again when a writer committed into the window while it
    composed: that build must not come from the cached read."""
    sub = _subscription(1, GUILD_B + 1, ("japan-korea",), clock)
    await _week_of_news(catalogue, clock)
    clock.advance(days=8)
    plan = _plan(sub, clock)
    builder = DigestBuilder(db, Renderer("discord"))
    before = "".join(await builder(sub, plan))
    late = Catalogue(db, FixedClock(plan.window_end - timedelta(minutes=1)))
    await late.add(
        EDITOR, validate_development(raw_development(title="Committed during composing"))
    )
    after = "".join(await builder(sub, plan))
    assert "Committed during composing" not in before and "Committed during composing" in after


async def test_shared_read_keeps_servers_own_developments_to_their_server(
    db: Database, catalogue: Catalogue, clock: FixedClock
) -> None:
    in_a = _subscription(1, GUILD_A, ("japan-korea",), clock)
    in_b = _subscription(2, GUILD_B, ("japan-korea",), clock)
    await _week_of_news(catalogue, clock)
    clock.advance(days=8)
    builder = DigestBuilder(db, Renderer("discord"))
    text_a = "\n".join(await builder(in_a, _plan(in_a, clock)))
    text_b = "\n".join(await builder(in_b, _plan(in_b, clock)))
    assert "Server A" in text_a and "Seoul and Tokyo meet" in text_a
    assert "Server A" not in text_b and "Seoul and Tokyo meet" in text_b


async def test_subscriptions_differing_only_in_their_filter_get_their_own_rendering(
    db: Database, catalogue: Catalogue, clock: FixedClock
) -> None:
    # The filter keeps everything here (no development mentions the word), so both digests
    # hold the same developments; only the filter line shown in the digest differs.
    plain_sub = _subscription(1, GUILD_B, ("japan-korea",), clock)
    filtered = replace(
        _subscription(2, GUILD_B, ("japan-korea",), clock),
        digest_filter=DigestFilter(exclude=("tourism",)),
    )
    await _week_of_news(catalogue, clock)
    clock.advance(days=8)
    builder = DigestBuilder(db, Renderer("discord"))
    for sub in (plain_sub, filtered):
        plan = _plan(sub, clock)
        alone = render_parts(Renderer("discord"), await compose_digest(db, sub, plan))
        assert await builder(sub, plan) == alone
    assert "tourism" in "\n".join(await builder(filtered, _plan(filtered, clock)))


async def test_the_same_digest_renders_in_each_servers_language(
    db: Database, catalogue: Catalogue, clock: FixedClock
) -> None:
    # Same topics, same window, same developments: only the server's language differs, so
    # the shared render must not hand Korean text to the English server (or back).
    english = _subscription(1, GUILD_B, ("japan-korea",), clock)
    korean = _subscription(2, GUILD_B + 1, ("japan-korea",), clock)
    async with db.transaction() as w:
        settings = ScopeSettings(Scope.discord(GUILD_B + 1), language="ko")
        await put_scope_settings(w, settings, actor="test", at=iso_utc(clock()))
    await _week_of_news(catalogue, clock)
    clock.advance(days=8)
    builder = DigestBuilder(db, Renderer("discord"))
    text_en = "\n".join(await builder(english, _plan(english, clock)))
    text_ko = "\n".join(await builder(korean, _plan(korean, clock)))
    assert "weekly digest" in text_en and "### Japan–South Korea" in text_en
    assert "주간 다이제스트" in text_ko and "### 한일" in text_ko
    assert "Seoul and Tokyo meet" in text_ko  # content stays as written
    assert "\n".join(await builder(english, _plan(english, clock))) == text_en
