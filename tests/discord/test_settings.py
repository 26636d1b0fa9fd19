"""/settings: time zone validation, the moderator role, and who can see the command."""

from __future__ import annotations

import sqlite3

import pytest
import simcord

from bot.domain.errors import InvalidInput, PermissionDenied
from storage.sqlite.database import DatabaseBusy
from tests.discord._support import add_development, dev_form, refusals, refused, snapshot


async def test_moderator_sees_and_changes_settings(world, db_path) -> None:
    r = await world.mod.slash(world.general, "settings")
    assert r.ephemeral
    assert r.response.content.startswith("**Current settings**")
    assert "Time zone: UTC (bot default)" in r.response.content

    r = await world.mod.slash(world.general, "settings", timezone="Asia/Seoul", language="en")
    assert r.ephemeral and r.response.content.startswith("**Settings saved.**")
    assert "Time zone: Asia/Seoul" in r.response.content

    again = await world.mod.slash(world.general, "settings")
    assert "Time zone: Asia/Seoul" in again.response.content
    # Beta's settings are its own.
    beta = await world.beta_mod.slash(world.beta_general, "settings")
    assert "Time zone: UTC (bot default)" in beta.response.content
    assert world.general.history() == []  # nothing public


async def test_unknown_time_zone_is_refused_naming_the_valid_form(world, db_path) -> None:
    before = snapshot(db_path)
    r = await world.mod.slash(world.general, "settings", timezone="Mars/Olympus_Mons")
    text = refused(r)
    assert text.startswith("**timezone**:")
    assert "not an IANA time zone" in text and "Asia/Seoul" in text and "UTC" in text
    assert [type(e) for e in refusals(world.env)] == [InvalidInput]
    assert snapshot(db_path) == before


async def test_time_zone_autocomplete(world) -> None:
    choices = await world.mod.autocomplete(world.general, "settings", "timezone", "seoul")
    assert choices[0] == {"name": "Asia/Seoul", "value": "Asia/Seoul"}
    many = await world.mod.autocomplete(world.general, "settings", "timezone", "america")
    assert 0 < len(many) <= 25 and all(c["value"].startswith("America/") for c in many)


async def test_moderator_role_makes_a_member_a_moderator(world) -> None:
    curators = world.alpha.create_role("Curators")
    refused_before = await world.member.slash(world.general, "development add")
    assert refused_before.modal is None and "Only moderators" in refused(refused_before)
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied]

    r = await world.mod.slash(world.general, "settings", **{"moderator-role": curators})
    assert f"Moderator role: <@&{curators.id}>" in r.response.content

    world.env.backend.add_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    _, dev_id = await add_development(world.member, world.general)
    history = await world.member.slash(world.general, "development history", id=str(dev_id))
    assert "**1. create**" in history.response.embeds[0].description

    # The role means nothing in another server.
    beta_member = world.beta.add_member(world.env.create_user("visitor"))
    r = await beta_member.slash(world.beta_general, "development add")
    assert r.modal is None
    refusals(world.env)

    # Taking the role away takes the rights away.
    world.env.backend.remove_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    r = await world.member.slash(world.general, "development retract", id=str(dev_id), reason="x")
    assert "Only this server's moderators" in refused(r)
    refusals(world.env)


async def test_settings_is_hidden_from_members(world) -> None:
    assert "settings" not in world.member.available_commands(world.general)
    assert "settings" in world.mod.available_commands(world.general)
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.member.slash(world.general, "settings")


async def test_moderator_role_alone_does_not_unlock_settings_for_discord(world) -> None:
    """The role is the bot's notion; Discord still hides /settings unless the server
    overrides the command's permissions. The bot also checks by itself when it is shown."""
    curators = world.alpha.create_role("Curators")
    await world.mod.slash(world.general, "settings", **{"moderator-role": curators})
    world.env.backend.add_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    assert "settings" not in world.member.available_commands(world.general)


async def test_a_server_can_open_settings_to_its_moderator_role(world, db_path) -> None:
    """Discord lets a server allow /settings for a role; the bot still checks the caller."""
    curators = world.alpha.create_role("Curators")
    helpers = world.alpha.create_role("Helpers")
    await world.mod.slash(world.general, "settings", **{"moderator-role": curators})
    world.env.backend.add_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    commands = await world.env.bot.tree.fetch_commands()
    settings = next(c for c in commands if c.name == "settings")
    world.alpha.set_command_permissions(settings.id, {curators: True, helpers: True})

    r = await world.member.slash(world.general, "settings", timezone="Asia/Seoul")
    assert r.ephemeral and "Time zone: Asia/Seoul" in r.response.content

    helper = world.alpha.add_member(world.env.create_user("helper"), roles=[helpers])
    before = snapshot(db_path)
    r = await helper.slash(world.general, "settings", timezone="UTC")
    assert "Only this server's moderators" in refused(r)
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied]
    assert snapshot(db_path) == before


async def test_rights_are_checked_again_when_the_form_is_submitted(world, db_path) -> None:
    curators = world.alpha.create_role("Curators")
    await world.mod.slash(world.general, "settings", **{"moderator-role": curators})
    world.env.backend.add_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    shown = await world.member.slash(world.general, "development add")
    assert shown.modal is not None

    world.env.backend.remove_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    before = snapshot(db_path)
    done = await world.member.submit_modal(shown, dev_form(shown))
    assert "Only moderators" in refused(done)
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied]
    assert snapshot(db_path) == before


async def test_everyone_cannot_be_the_moderator_role(world, db_path) -> None:
    everyone = world.alpha.roles["@everyone"]
    assert everyone.id == world.alpha.id
    before = snapshot(db_path)
    r = await world.mod.slash(world.general, "settings", **{"moderator-role": everyone})
    text = refused(r)
    assert text.startswith("**moderator role**:") and "every member a moderator" in text
    assert [type(e) for e in refusals(world.env)] == [InvalidInput]
    assert snapshot(db_path) == before
    # A plain member is still not a moderator.
    r = await world.member.slash(world.general, "development add")
    assert r.modal is None and "Only moderators" in refused(r)
    refusals(world.env)


async def test_a_busy_database_is_a_private_try_again(world, db_path) -> None:
    # Wait 0.2 s, not 5 s, for the lock (SimCord expects an answer within 5 s).
    await world.env.bot.services.db.set_busy_timeout(200)
    before = snapshot(db_path)
    other = sqlite3.connect(db_path, isolation_level=None)  # another process, mid-import
    other.execute("BEGIN IMMEDIATE")
    try:
        r = await world.mod.slash(world.general, "settings", timezone="Asia/Seoul")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert refused(r) == "the database is busy (another briefbot is writing); try again"
    assert [type(e) for e in refusals(world.env)] == [DatabaseBusy]
    assert snapshot(db_path) == before
    again = await world.mod.slash(world.general, "settings", timezone="Asia/Seoul")
    assert "Time zone: Asia/Seoul" in again.response.content
