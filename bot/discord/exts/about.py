"""/about: version, coverage, counts, data sources and your commands; /help: your commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.core.dataset import read_starter
from bot.core.help import commands_for
from bot.core.rendering import Safe
from bot.core.topics import all_topics
from bot.discord.exts._common import actor_for, defer, embed_pages, send_pages, services

if TYPE_CHECKING:
    from bot.discord.client import BriefBot


class About(commands.Cog):
    """About the bot."""

    @app_commands.command(name="about", description="What this bot covers, its data and version")
    async def about(self, interaction: discord.Interaction) -> None:
        await defer(interaction)
        svc = services(interaction)
        counts = await svc.catalogue.counts()
        groups = commands_for(await actor_for(interaction))
        pages = embed_pages(
            svc.renderers.discord,
            "about.j2",
            version=Safe(__version__),  # our own text: escaping showed it as \0.1.0
            topics=all_topics(),
            counts=counts,
            dataset=read_starter()["description"],
            groups=groups,
        )
        await send_pages(interaction, pages)

    @app_commands.command(name="help", description="The commands you can use here, with examples")
    async def help(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)
        groups = commands_for(await actor_for(interaction))
        pages = embed_pages(services(interaction).renderers.discord, "help.j2", groups=groups)
        await send_pages(interaction, pages, ephemeral=True)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(About())
