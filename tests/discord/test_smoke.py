"""Every extension imports, and no command name is defined twice."""

from __future__ import annotations

import importlib
from collections import Counter

from bot.discord.client import extension_names
from tests.discord.conftest import text_of


def test_every_extension_imports_and_has_setup() -> None:
    names = extension_names()
    assert {
        "bot.discord.exts.brief",
        "bot.discord.exts.development",
        "bot.discord.exts.about",
    } <= set(names)
    for name in names:
        assert callable(importlib.import_module(name).setup)


async def test_no_command_name_defined_twice(world) -> None:
    tree = world.env.bot.tree
    names = [c.qualified_name for c in tree.walk_commands()]
    assert names and not [n for n, k in Counter(names).items() if k > 1]


async def test_brief_as_member(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert not r.ephemeral
    text = text_of(r)
    assert "Yoon Suk-yeol and Fumio Kishida" in text
    assert "16 Mar 2023" in text
