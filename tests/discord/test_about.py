"""/about: version, coverage and live counts."""

from __future__ import annotations

from bot import __version__
from tests.discord._support import add_development
from tests.discord.conftest import text_of


async def test_about_shows_version_topics_and_counts(world) -> None:
    r = await world.member.slash(world.general, "about")
    assert not r.ephemeral
    embed = r.response.embeds[0]
    assert embed.title == f"Trilateral Brief {__version__}"
    assert "12 global developments" in embed.description
    assert "`japan-korea`" in embed.description and "`north-korea`" in embed.description
    assert "Starter dataset:" in embed.description


async def test_counts_follow_the_catalogue(world) -> None:
    await add_development(world.editor, world.general)  # global
    await add_development(world.mod, world.general)  # this server's only
    await world.editor.slash(world.general, "development retract", id="2", reason="Test")
    text = text_of(await world.member.slash(world.general, "about"))
    assert "12 global developments" in text  # 12 + 1 added - 1 retracted
    assert "1 retracted" in text


async def test_about_lists_the_commands_a_member_may_use(world) -> None:
    text = text_of(await world.member.slash(world.general, "about"))
    assert "**Everyone**" in text and "`/brief topic:japan-korea`" in text
    assert "`/timeline topic:trilateral chart:True`" in text
    assert "/development add" not in text.split("**Everyone**")[1]
    assert "Moderators of this server" not in text
    assert "Editors of the global catalogue" not in text


async def test_help_shows_each_person_their_own_commands_privately(world) -> None:
    member = await world.member.slash(world.general, "help")
    mod = await world.mod.slash(world.general, "help")
    world.make_editor(world.editor, world.mod)
    both = await world.mod.slash(world.general, "help")
    for r in (member, mod, both):
        assert r.ephemeral and r.response.embeds[0].title == "What you can do here"
    assert "Moderators of this server" not in text_of(member)
    assert "`/development add`" in text_of(mod) and "`/subscribe topics:trilateral" in text_of(mod)
    assert "Editors of the global catalogue" not in text_of(mod)
    assert "`/development add scope:global`" in text_of(both)
    for r in (member, mod, both):  # one example per command, each a copyable line
        lines = [line for line in r.response.embeds[0].description.splitlines() if line]
        assert all(line.startswith(("- `/", "**")) for line in lines), lines
        assert "\\" not in r.response.embeds[0].description  # nothing escaped in the examples


async def test_help_in_a_direct_message_lists_only_what_everyone_can_do(world) -> None:
    dm = world.env.create_user("stranger")
    r = await dm.slash("help")
    assert "**Everyone**" in text_of(r) and "Moderators" not in text_of(r)
