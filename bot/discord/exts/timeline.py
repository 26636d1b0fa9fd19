"""/timeline: a topic's developments in date order, paginated."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import lookup
from bot.core.topics import get_topic
from bot.core.validation import parse_fuzzy_date
from bot.discord.exts._common import (
    NO_PINGS,
    defer,
    scope_of,
    send_rendered,
    services,
    take_turn,
    topic_autocomplete,
)

if TYPE_CHECKING:
    from bot.discord.client import BriefBot


class Timelines(commands.Cog):
    """The timeline command."""

    @app_commands.command(name="timeline", description="A topic's developments in date order")
    @app_commands.describe(
        topic="e.g. japan-korea, trilateral",
        start="From this date: YYYY, YYYY-MM or YYYY-MM-DD",
        end="Up to this date: YYYY, YYYY-MM or YYYY-MM-DD",
        chart="Also attach a chart (PNG): one row per domain, key events named",
    )
    @app_commands.rename(start="from", end="to")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def timeline(
        self,
        interaction: discord.Interaction,
        topic: str,
        start: app_commands.Range[str, 1, 10] | None = None,
        end: app_commands.Range[str, 1, 10] | None = None,
        chart: bool = False,
    ) -> None:
        get_topic(topic)
        for value, name in ((start, "from"), (end, "to")):
            if value:
                parse_fuzzy_date(value, name)
        if chart:
            take_turn(interaction, "chart")
        await defer(interaction)
        svc = services(interaction)
        result = await lookup.timeline(svc.db, topic, scope_of(interaction), start=start, end=end)
        await send_rendered(interaction, "timeline.j2", timeline=result)
        if chart:
            from bot.core.chart import draw_timeline  # matplotlib only when a chart is asked

            png = await draw_timeline(result)
            await interaction.followup.send(
                file=discord.File(io.BytesIO(png), filename=f"timeline-{result.topic.slug}.png"),
                allowed_mentions=NO_PINGS,
            )


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Timelines())
