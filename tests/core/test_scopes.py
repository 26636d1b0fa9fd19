"""Scopes per platform: a Telegram chat never sees a Discord server's own data, nor the
reverse, even when their ids are the same number."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core import lookup
from bot.core.actors import Actor
from bot.core.briefs import compose_brief
from bot.core.catalogue import Catalogue
from bot.core.scope_moves import move_scope
from bot.core.scope_settings import ScopeSettingsService
from bot.core.subscriptions import SubscriptionService
from bot.core.transfer import export_data, import_data
from bot.domain.errors import InvalidInput, NotFound, PermissionDenied
from bot.domain.scope import Scope, scope_key
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import GUILD_A, MOD_A, SCOPE_A, FixedClock, draft, require_search

# The same number as Discord server A: only the platform tells them apart.
CHAT_SAME_ID = Scope.telegram(GUILD_A)
SUPERGROUP = Scope.telegram(-1001234567890)
TG_MOD = Actor(user_id="424242", name="tg-admin", scope=CHAT_SAME_ID, is_moderator=True)


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


def test_scope_values() -> None:
    assert Scope.discord(GUILD_A) == SCOPE_A != CHAT_SAME_ID
    assert Scope.telegram(-4012345).id == -4012345  # a basic group
    assert SUPERGROUP.key() == "telegram:-1001234567890"
    assert Scope.parse(SUPERGROUP.key()) == SUPERGROUP
    assert Scope.parse(SCOPE_A.key()) == SCOPE_A and SCOPE_A.key() == str(GUILD_A)
    assert scope_key(None) == "global"
    assert [Scope.telegram(i).chat_kind for i in (424242, -4012345, -1001234567890)] == [
        "private",
        "group",
        "supergroup",
    ]
    assert SCOPE_A.chat_kind is None
    with pytest.raises(ValueError):
        Scope.discord(-5)  # Discord ids are positive
    with pytest.raises(ValueError):
        Scope.telegram(0)
    with pytest.raises(ValueError):
        Scope.parse("x")


async def test_developments_stay_on_their_platform(db: Db, clock: FixedClock) -> None:
    require_search(db)
    catalogue = Catalogue(db, clock)
    discord_dev = await catalogue.add(MOD_A, draft(title="Discord server kangaroo note"))
    telegram_dev = await catalogue.add(TG_MOD, draft(title="Telegram chat wombat note"))
    assert discord_dev.scope == SCOPE_A and telegram_dev.scope == CHAT_SAME_ID

    for viewer, own, other in ((SCOPE_A, discord_dev, telegram_dev), (CHAT_SAME_ID, telegram_dev, discord_dev)):  # fmt: skip
        assert (await catalogue.show(own.id, viewer)).id == own.id
        with pytest.raises(NotFound):
            await catalogue.show(other.id, viewer)
        brief = await compose_brief(db, "japan-korea", viewer, clock=clock)
        shown = {item.development.id for item in brief.key}
        assert own.id in shown and other.id not in shown
        timeline = await lookup.timeline(db, "japan-korea", viewer)
        ids = {d.id for d in timeline.developments}
        assert own.id in ids and other.id not in ids
        for word in ("kangaroo", "wombat"):
            hits = {h.development.id for h in (await lookup.search(db, word, viewer)).hits}
            assert other.id not in hits
        completions = {i for i, _ in await catalogue.autocomplete_ids("", viewer, limit=500)}
        assert own.id in completions and other.id not in completions

    # Moderating one scope gives no rights in the other.
    with pytest.raises(NotFound):
        await catalogue.retract(TG_MOD, discord_dev.id, "not yours")


async def test_assessments_stay_on_their_platform(db: Db, clock: FixedClock) -> None:
    catalogue = Catalogue(db, clock)
    await catalogue.set_assessment(MOD_A, "china", "Discord's view.", "improving", ())
    await catalogue.set_assessment(TG_MOD, "china", "Telegram's view.", "deteriorating", ())
    discord_view = await catalogue.current_assessment("china", SCOPE_A)
    telegram_view = await catalogue.current_assessment("china", CHAT_SAME_ID)
    assert discord_view is not None and discord_view.bottom_line == "Discord's view."
    assert telegram_view is not None and telegram_view.bottom_line == "Telegram's view."
    assert await catalogue.current_assessment("china", SUPERGROUP) is None


async def test_settings_and_subscriptions_stay_on_their_platform(
    empty_db: Db, clock: FixedClock
) -> None:
    settings = ScopeSettingsService(empty_db, clock)
    await settings.update(MOD_A, timezone="Asia/Seoul")
    await settings.update(TG_MOD, timezone="Asia/Tokyo")
    assert await settings.timezone(SCOPE_A) == "Asia/Seoul"
    assert await settings.timezone(CHAT_SAME_ID) == "Asia/Tokyo"
    assert await settings.timezone(SUPERGROUP) == "UTC"

    subs = SubscriptionService(empty_db, clock)
    discord_sub = (await subs.subscribe(MOD_A, SCOPE_A, 333333333333333333)).subscription
    telegram_sub = (await subs.subscribe(TG_MOD, CHAT_SAME_ID, GUILD_A)).subscription
    assert discord_sub.scope == SCOPE_A and discord_sub.schedule.timezone == "Asia/Seoul"
    assert telegram_sub.scope == CHAT_SAME_ID and telegram_sub.schedule.timezone == "Asia/Tokyo"
    assert [s.id for s in await subs.list(MOD_A, SCOPE_A)] == [discord_sub.id]
    assert [s.id for s in await subs.list(TG_MOD, CHAT_SAME_ID)] == [telegram_sub.id]
    with pytest.raises(NotFound):
        await subs.for_channel(TG_MOD, CHAT_SAME_ID, discord_sub.channel_id)
    # A moderator of the Telegram chat asking about the Discord server is not inside it.
    with pytest.raises(InvalidInput):
        await subs.list(TG_MOD, SCOPE_A)

    paused = await subs.pause_scope(CHAT_SAME_ID, "The bot was removed from this chat.")
    assert [s.id for s in paused] == [telegram_sub.id]
    (still_active,) = await subs.list(MOD_A, SCOPE_A)
    assert still_active.active


async def test_export_and_import_keep_the_platform(
    sqlite_empty_db: Database, clock: FixedClock
) -> None:
    catalogue = Catalogue(sqlite_empty_db, clock)
    await catalogue.add(MOD_A, draft(title="On Discord"))
    await catalogue.add(replace(TG_MOD, scope=SUPERGROUP), draft(title="On Telegram"))
    doc = await export_data(sqlite_empty_db, clock)
    assert [d["scope"] for d in doc["developments"]] == [str(GUILD_A), "telegram:-1001234567890"]
    copy = await Database.open(sqlite_empty_db.path.with_name("copy.sqlite3"))
    try:
        await import_data(copy, doc, clock)
        assert (await Catalogue(copy, clock).show(2, SUPERGROUP)).title == "On Telegram"
        with pytest.raises(NotFound):
            await Catalogue(copy, clock).show(2, Scope.discord(1001234567890))
    finally:
        await copy.close()


async def test_refusals_speak_the_platform_s_words(db: Db, clock: FixedClock) -> None:
    catalogue = Catalogue(db, clock)
    dev = await catalogue.add(TG_MOD, draft())
    member = replace(TG_MOD, is_moderator=False)
    with pytest.raises(PermissionDenied, match="Only this chat's administrators can change"):
        await catalogue.retract(member, dev.id, "no")
    with pytest.raises(PermissionDenied, match="Only this chat's administrators can manage"):
        await SubscriptionService(db, clock).list(member, CHAT_SAME_ID)


async def test_a_group_upgraded_to_a_supergroup_keeps_what_it_owns(
    db: Db, clock: FixedClock
) -> None:
    group = Scope.telegram(-4012345)
    admin = replace(TG_MOD, scope=group)
    catalogue = Catalogue(db, clock)
    dev = await catalogue.add(admin, draft(title="Group wombat note"))
    await catalogue.set_assessment(admin, "china", "The group's view.", "unchanged", ())
    await ScopeSettingsService(db, clock).update(admin, timezone="Asia/Tokyo")
    subs = SubscriptionService(db, clock)
    sub = (await subs.subscribe(admin, group, group.id)).subscription
    discord_dev = await catalogue.add(MOD_A, draft(title="Discord kangaroo note"))

    moved = await move_scope(db, group, SUPERGROUP)
    assert moved["developments"] == 1 and moved["subscription channels"] == 1

    assert (await catalogue.show(dev.id, SUPERGROUP)).scope == SUPERGROUP
    with pytest.raises(NotFound):
        await catalogue.show(dev.id, group)
    view = await catalogue.current_assessment("china", SUPERGROUP)
    assert view is not None and view.bottom_line == "The group's view."
    assert await ScopeSettingsService(db, clock).timezone(SUPERGROUP) == "Asia/Tokyo"
    (after,) = await subs.list(replace(admin, scope=SUPERGROUP), SUPERGROUP)
    assert (after.id, after.channel_id, after.scope) == (sub.id, SUPERGROUP.id, SUPERGROUP)
    assert (await catalogue.show(discord_dev.id, SCOPE_A)).scope == SCOPE_A
    assert await move_scope(db, group, SUPERGROUP) == dict.fromkeys(moved, 0)
    with pytest.raises(InvalidInput):
        await move_scope(db, SUPERGROUP, SCOPE_A)
