"""Telegram telling the bot about chats: a group upgraded to a supergroup takes everything
of it to the new id; removing or blocking the bot pauses the chat's digests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.core.actors import Actor
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from tests.helpers import draft
from tests.telegram.conftest import ADMIN_TG, MEMBER_TG, Running

OLD_GROUP = -4002
SUPERGROUP = -1004002


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a handler's effect on the database (handlers run concurrently)."""

    async def loop() -> None:
        while not await check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def test_an_upgraded_group_takes_its_subscription_and_developments_along(
    tg: Running,
) -> None:
    fake, svc = tg.fake, tg.services
    fake.add_chat(OLD_GROUP, "group", "Alliance watchers")
    fake.members[(OLD_GROUP, ADMIN_TG)] = "administrator"
    fake.message(OLD_GROUP, ADMIN_TG, "/subscribe japan-korea daily")
    await fake.wait_sent(OLD_GROUP)
    fake.message(OLD_GROUP, ADMIN_TG, "/settings timezone Asia/Seoul")
    await fake.wait_sent(OLD_GROUP, 2)
    admin = Actor(user_id="tg:1", name="admin", scope=Scope.telegram(OLD_GROUP), is_moderator=True)
    own = await svc.catalogue.add(admin, draft(title="The group's own note"))
    subs = SubscriptionService(svc.db, svc.clock)
    fake.migrate(OLD_GROUP, SUPERGROUP, ADMIN_TG)

    async def moved() -> bool:
        sub = await subs.of_channel(SUPERGROUP)
        return sub is not None and sub.scope == Scope.telegram(SUPERGROUP)

    await eventually(moved)
    assert await subs.of_channel(OLD_GROUP) is None
    assert await svc.scope_settings.timezone(Scope.telegram(SUPERGROUP)) == "Asia/Seoul"
    moved_dev = await svc.catalogue.show(own.id, Scope.telegram(SUPERGROUP))
    assert moved_dev.scope == Scope.telegram(SUPERGROUP)


async def test_blocking_the_bot_pauses_the_private_chat_s_digest(tg: Running) -> None:
    fake, svc = tg.fake, tg.services
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe trilateral")
    await fake.wait_sent(MEMBER_TG)
    fake.bot_removed(MEMBER_TG, MEMBER_TG)
    subs = SubscriptionService(svc.db, svc.clock)

    async def paused() -> bool:
        sub = await subs.of_channel(MEMBER_TG)
        return sub is not None and not sub.active

    await eventually(paused)
    sub = await subs.of_channel(MEMBER_TG)
    assert sub is not None and sub.paused_reason == "The bot was blocked in this private chat."
