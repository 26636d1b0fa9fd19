"""/assessment set: a topic's bottom line, trend and watch-next items, with history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.actors import default_scope
from bot.core.topics import get_topic
from bot.core.validation import BOTTOM_LINE_MAX, parse_trend, parse_watch_next, require_text
from bot.discord.exts._common import actor_for, defer, reply, services, topic_autocomplete
from bot.discord.exts._forms import Form, assessment_fields, open_form
from bot.discord.exts.development import SCOPES
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.discord.client import BriefBot


class Assessments(commands.GroupCog, group_name="assessment"):
    """Setting the bottom line of a topic."""

    @app_commands.command(
        name="set",
        description="Set a topic's bottom line, trend and what to watch (moderators, editors)",
    )
    @app_commands.describe(
        topic="e.g. japan-korea", scope="This server (moderators) or global (editors)"
    )
    @app_commands.choices(scope=SCOPES)
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def set(
        self, interaction: discord.Interaction, topic: str, scope: str | None = None
    ) -> None:
        slug = get_topic(topic).slug

        async def submitted(inter: discord.Interaction, values: dict[str, str]) -> None:
            bottom_line = require_text(_("bottom line"), values["bottom_line"], BOTTOM_LINE_MAX)
            trend = parse_trend(values["trend"])
            watch = parse_watch_next(values.get("watch_next", ""))
            await defer(inter, ephemeral=True)
            saved = await services(inter).catalogue.set_assessment(
                await actor_for(inter), slug, bottom_line, trend, watch, scope
            )
            await reply(
                inter,
                (
                    _(
                        "Assessment of **{slug}** set globally: {trend}. /brief {slug} shows it now; earlier versions are kept."
                    )
                    if saved.guild_id is None
                    else _(
                        "Assessment of **{slug}** set for this server: {trend}. /brief {slug} shows it now; earlier versions are kept."
                    )
                ).format(slug=slug, trend=_(saved.trend)),
                ephemeral=True,
            )

        async def load() -> Form:
            owner = default_scope(await actor_for(interaction), scope)
            # Prefilled with what /brief shows in that scope: the server's own, else global.
            current = await services(interaction).catalogue.current_assessment(slug, owner)
            return Form(
                _("Assessment: {slug}").format(slug=slug)[:45],
                assessment_fields(current),
                submitted,
            )

        await open_form(interaction, load())


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Assessments())
