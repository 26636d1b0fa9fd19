"""/brief: a topic's briefing, bottom line first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.briefs import PERIOD_LABELS, compose_brief, parse_domain, parse_period
from bot.core.topics import get_topic
from bot.discord.exts._common import defer, scope_of, send_rendered, services, topic_autocomplete
from bot.domain.models import DOMAINS

if TYPE_CHECKING:
    from bot.discord.client import BriefBot


class Briefs(commands.Cog):
    """The briefing command."""

    @app_commands.command(
        name="brief", description="A briefing on a topic: bottom line, key developments, sources"
    )
    @app_commands.describe(
        topic="e.g. japan-korea, trilateral, us-korea, north-korea",
        period="How far back (default: all time)",
        domain="Only one domain",
    )
    @app_commands.choices(
        period=[app_commands.Choice(name=label, value=key) for key, label in PERIOD_LABELS.items()],
        domain=[app_commands.Choice(name=d, value=d) for d in DOMAINS],
    )
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def brief(
        self,
        interaction: discord.Interaction,
        topic: str,
        period: str = "all",
        domain: str | None = None,
    ) -> None:
        get_topic(topic)
        parse_period(period)
        parse_domain(domain)
        await defer(interaction)
        svc = services(interaction)
        result = await compose_brief(
            svc.db, topic, scope_of(interaction), period=period, domain=domain, clock=svc.clock
        )
        await send_rendered(interaction, "brief.j2", brief=result)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Briefs())
