"""/about: version, coverage and live counts."""

from __future__ import annotations

from bot import __version__
from tests.exts._support import add_development
from tests.exts.conftest import text_of


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
