"""/about: version, coverage, counts and data sources."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.core.dataset import read_starter
from bot.core.rendering import Safe
from bot.core.topics import all_topics
from bot.exts._common import defer, embed_pages, send_pages, services

if TYPE_CHECKING:
    from bot.client import BriefBot


class About(commands.Cog):
    """About the bot."""

    @app_commands.command(name="about", description="What this bot covers, its data and version")
    async def about(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        svc = services(interaction)
        counts = await svc.catalogue.counts()
        pages = embed_pages(
            svc.renderers.discord,
            "about.j2",
            version=Safe(__version__),  # our own text: escaping showed it as \0.1.0
            topics=all_topics(),
            counts=counts,
            dataset=read_starter()["description"],
        )
        await send_pages(interaction, pages)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(About())
