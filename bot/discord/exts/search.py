"""/search: full-text search over titles, summaries, tags and sources."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import lookup
from bot.core.topics import get_topic
from bot.discord.exts._common import (
    defer,
    scope_of,
    send_rendered,
    services,
    take_turn,
    topic_autocomplete,
)
from bot.domain.errors import InvalidInput
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.discord.client import BriefBot


class Search(commands.Cog):
    """The search command."""

    @app_commands.command(name="search", description="Search developments, best match first")
    @app_commands.describe(query="Words to look for", topic="Only in this topic")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 500],
        topic: str | None = None,
    ) -> None:
        if topic:
            get_topic(topic)
        if not lookup.has_search_terms(query):
            raise InvalidInput("query", _("type at least one word or number"))
        take_turn(interaction, "search")
        await defer(interaction)
        svc = services(interaction)
        results = await lookup.search(svc.db, query, scope_of(interaction), topic_name=topic)
        await send_rendered(interaction, "search.j2", results=results)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Search())
