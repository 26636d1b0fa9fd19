"""Digests to Telegram chats: the real engine and ledger, the real PTB Bot, the fake Bot API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.config import Settings
from bot.core.actors import Actor
from bot.core.digests.delivery import DeliveryEngine
from bot.core.digests.pacing import RetryPolicy
from bot.core.digests.schedule import plan_now
from bot.core.rendering import Renderer
from bot.core.scope_moves import move_scope
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from bot.services import Services
from bot.telegram.digests import TelegramDigestBuilder, TelegramPoster
from harness.fake_telegram import TOKEN, FakeTelegram, parse_html
from storage import subscriptions as store
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft

CHAT = -100555000111
GROUP = -4001
SUPERGROUP = -100777000222


class FakeTimer:
    """Monotonic time that moves only by sleeping (instantly); records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url) as client:
        yield client


def engine_for(db: Database, bot: Bot, clock: FixedClock, timer: FakeTimer) -> DeliveryEngine:
    poster = TelegramPoster(
        bot, lambda old, new: move_scope(db, Scope.telegram(old), Scope.telegram(new)), timer=timer
    )
    return DeliveryEngine(
        db,
        poster,
        TelegramDigestBuilder(Services(Settings(), db), Renderer("telegram")),
        clock,
        timer=timer,
        retry=RetryPolicy(base_delay=0.01),
    )


async def subscribe(db: Database, clock: FixedClock, chat_id: int) -> int:
    admin = Actor(user_id="tg:1", name="admin", scope=Scope.telegram(chat_id), is_moderator=True)
    result = await SubscriptionService(db, clock).subscribe(
        admin, admin.scope, chat_id, topics="japan-korea", cadence="daily", post_empty=True
    )
    return result.subscription.id


async def test_a_digest_arrives_in_html_parts_and_each_id_is_recorded(
    fake: FakeTelegram, bot: Bot, db: Database, clock: FixedClock, catalogue
) -> None:
    fake.add_chat(CHAT, "channel")
    sub_id = await subscribe(db, clock, CHAT)
    clock.advance(hours=1)
    for number in range(40):
        await catalogue.add(
            EDITOR, draft(title=f"<b>Step</b> {number} & more " + "of a long process " * 6)
        )
    clock.advance(minutes=5)
    outcome = await engine_for(db, bot, clock, FakeTimer()).send_now(sub_id)
    assert outcome.kind == "sent", outcome
    sent = fake.sent[CHAT]
    assert len(sent) >= 2 and fake.refusals == [], sent[0].plain
    assert [s.message_id for s in sent] == list(outcome.message_ids)
    row = await store.get_delivery(db, sub_id, outcome.period or "")
    assert row is not None and row.message_ids == outcome.message_ids
    assert all(parse_html(s.text) == s.plain and s.link_preview_off for s in sent)
    # The marker names the delivery's reference too, inside the italics.
    assert re.search(f"part {len(sent)}/{len(sent)} · ref [0-9a-f]+$", sent[-1].plain)
    assert sent[-1].text.endswith("</i>")
    assert "<b>Step</b> 0" in " ".join(s.plain for s in sent)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("blocked", "bot was blocked by the user"),
        ("kicked", "bot was kicked"),
        ("not_found", "chat not found"),
    ],
)
async def test_refused_chats_pause_the_subscription_with_the_reason(
    fake: FakeTelegram, bot: Bot, db: Database, clock: FixedClock, fault: str, words: str
) -> None:
    fake.faults[CHAT] = fault
    sub_id = await subscribe(db, clock, CHAT)
    outcome = await engine_for(db, bot, clock, FakeTimer()).send_now(sub_id)
    assert outcome.kind == "paused"
    sub = await store.get_subscription(db, sub_id)
    assert sub is not None and not sub.active
    assert words.lower() in (sub.paused_reason or "").lower()
    assert "View Channel" not in (sub.paused_reason or "")  # Telegram's words, not Discord's


async def test_an_upgraded_group_moves_its_subscription(
    fake: FakeTelegram, bot: Bot, db: Database, clock: FixedClock
) -> None:
    fake.add_chat(GROUP, "group")
    fake.add_chat(SUPERGROUP, "supergroup")
    fake.migrated[GROUP] = SUPERGROUP
    sub_id = await subscribe(db, clock, GROUP)
    outcome = await engine_for(db, bot, clock, FakeTimer()).send_now(sub_id)
    assert outcome.kind == "sent"
    assert GROUP not in fake.sent and len(fake.sent[SUPERGROUP]) == len(outcome.message_ids)
    sub = await store.get_subscription(db, sub_id)
    assert sub is not None and sub.channel_id == SUPERGROUP and sub.guild_id == SUPERGROUP


async def test_a_429_is_obeyed(
    fake: FakeTelegram, bot: Bot, db: Database, clock: FixedClock
) -> None:
    fake.add_chat(CHAT, "channel")
    fake.fail_next[CHAT] = [0.25, 0.5]
    timer = FakeTimer()
    sub_id = await subscribe(db, clock, CHAT)
    outcome = await engine_for(db, bot, clock, timer).send_now(sub_id)
    assert outcome.kind == "sent"
    assert 0.25 in timer.sleeps and 0.5 in timer.sleeps
    assert len(fake.sent[CHAT]) == len(outcome.message_ids) == 1


class CountingRenderer(Renderer):
    """The real Telegram renderer, counting whole-template renders."""

    def __init__(self) -> None:
        super().__init__("telegram")
        self.renders = 0

    def render(self, name: str, **context: object) -> str:
        self.renders += 1
        return super().render(name, **context)


async def test_chats_due_together_share_the_window_read_and_the_rendering(
    db: Database, clock: FixedClock, catalogue
) -> None:
    chats = [CHAT - n for n in range(5)]
    ids = [await subscribe(db, clock, chat) for chat in chats]
    clock.advance(hours=1)
    await catalogue.add(EDITOR, draft(title="Seoul and Tokyo meet"))
    clock.advance(days=1)
    renderer = CountingRenderer()
    builder = TelegramDigestBuilder(Services(Settings(), db), renderer)
    built = []
    for sub_id in ids:
        sub = await store.get_subscription(db, sub_id)
        assert sub is not None and sub.next_run is not None
        plan = plan_now(sub.schedule, next_run=sub.next_run, covered_until=None, now=clock())
        built.append(await builder(sub, plan))
    assert renderer.renders == 1  # was one per chat
    assert all(parts == built[0] for parts in built)
    assert "Seoul and Tokyo meet" in built[0][0]
