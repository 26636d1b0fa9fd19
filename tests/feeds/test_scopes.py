"""Queues belong to scopes: a Discord server, a Telegram chat, or the global queue. A chat
and a server with the same number never share feeds, candidates or rejections."""

from __future__ import annotations

import pytest

from bot.core.actors import Actor
from bot.core.feeds.service import FeedService
from bot.core.scope_moves import move_scope
from bot.domain.errors import NotFound
from bot.domain.scope import Scope
from storage.contract import Db
from tests.feeds.server import FeedServer
from tests.helpers import GUILD_A, MOD_A, SCOPE_A

CHAT_SAME_ID = Scope.telegram(GUILD_A)
GROUP = Scope.telegram(-4012345)
SUPERGROUP = Scope.telegram(-1001234567890)
TG_ADMIN = Actor(user_id="424242", name="tg-admin", scope=CHAT_SAME_ID, is_moderator=True)


async def test_a_chat_and_a_server_with_one_number_have_separate_queues(
    feeds: FeedService, server: FeedServer
) -> None:
    await feeds.add_feed(MOD_A, server.url("yonhap"))
    added = await feeds.add_feed(TG_ADMIN, server.url("yonhap"))  # not "already read here"
    assert added.feed.scope == CHAT_SAME_ID and added.report.new  # nothing merged across
    discord_queue = await feeds.queue(SCOPE_A)
    telegram_queue = await feeds.queue(CHAT_SAME_ID)
    assert {c.scope for c in telegram_queue} == {CHAT_SAME_ID}
    assert not {c.id for c in discord_queue} & {c.id for c in telegram_queue}
    assert [f.scope for f in await feeds.list_feeds(CHAT_SAME_ID)] == [CHAT_SAME_ID]
    with pytest.raises(NotFound):
        await feeds.reject(TG_ADMIN, discord_queue[0].id)
    rejected = await feeds.reject(TG_ADMIN, telegram_queue[0].id)
    assert rejected.status == "rejected"
    assert (await feeds.candidate(discord_queue[0].id, SCOPE_A)).status == "pending"


async def test_a_telegram_queue_is_reviewed_in_its_chat_unless_told_otherwise(
    feeds: FeedService,
) -> None:
    assert await feeds.review_channel(CHAT_SAME_ID) == ("telegram", GUILD_A)
    assert await feeds.review_channel(SCOPE_A) is None
    await feeds.set_review_channel(MOD_A, "discord", 987654321098765432)
    assert await feeds.review_channel(SCOPE_A) == ("discord", 987654321098765432)


async def test_an_upgraded_group_takes_its_feeds_and_queue(
    feeds: FeedService, server: FeedServer, db: Db
) -> None:
    admin = Actor(user_id="424242", name="tg-admin", scope=GROUP, is_moderator=True)
    await feeds.add_feed(admin, server.url("kyodo"))
    waiting = await feeds.queue(GROUP)
    assert waiting
    moved = await move_scope(db, GROUP, SUPERGROUP)
    assert moved["feeds"] == 1 and moved["candidates"] == len(waiting)
    assert await feeds.list_feeds(GROUP) == [] and await feeds.queue(GROUP) == []
    assert [f.scope for f in await feeds.list_feeds(SUPERGROUP)] == [SUPERGROUP]
    assert len(await feeds.queue(SUPERGROUP)) == len(waiting)
    assert await feeds.review_channel(SUPERGROUP) == ("telegram", SUPERGROUP.id)
    # The story index names scopes: once reset, the moved queue still deduplicates.
    feeds.reset_index()
    supergroup_admin = Actor(user_id="424242", name="tg-admin", scope=SUPERGROUP, is_moderator=True)
    again = await feeds.add_feed(supergroup_admin, server.url("yonhap"))
    assert again.report.merged == 1  # the drills story, queued from Kyodo before the move
