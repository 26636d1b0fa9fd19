"""/settings: a server's time zone, moderator role and language."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import i18n
from bot.core.scope_settings import check_timezone
from bot.core.validation import check_moderator_role
from bot.discord.exts._common import (
    defer,
    reply,
    require_moderator,
    services,
    timezone_autocomplete,
)
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

LANGUAGES = [
    app_commands.Choice(name=name, value=code) for code, name in i18n.LANGUAGE_NAMES.items()
]


class ServerSettings(commands.Cog):
    """/settings: a server's time zone, moderator role and language."""

    @app_commands.command(
        name="settings", description="Show or change this server's settings (moderators)"
    )
    @app_commands.describe(
        timezone="IANA time zone for digests, e.g. Asia/Seoul",
        moderator_role="Members with this role count as moderators",
        language="Language of digests and other posts in this server",
    )
    @app_commands.rename(moderator_role="moderator-role")
    @app_commands.choices(language=LANGUAGES)
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def settings(
        self,
        interaction: discord.Interaction,
        timezone: str | None = None,
        moderator_role: discord.Role | None = None,
        language: str | None = None,
    ) -> None:
        if timezone is not None:
            check_timezone(timezone)
        if moderator_role is not None and interaction.guild_id is not None:
            check_moderator_role(
                moderator_role.id, interaction.guild_id, managed=moderator_role.managed
            )
        await defer(interaction, ephemeral=True)  # the moderator role is a database read
        actor = await require_moderator(interaction)
        svc = services(interaction)
        result = await svc.scope_settings.update(
            actor,
            timezone=timezone,
            moderator_role_id=moderator_role.id if moderator_role else None,
            language=language,
        )
        changed = result.settings
        role = (
            f"<@&{changed.moderator_role_id}>"
            if changed.moderator_role_id
            else _("none (Manage Server only)")
        )
        lines = [
            _("**Settings saved.**") if result.changed else _("**Current settings**"),
            _("Time zone: {value}").format(value=i18n.zone_name(changed.timezone))
            if changed.timezone
            else _("Time zone: {value} (bot default)").format(
                value=i18n.zone_name(svc.settings.default_timezone)
            ),
            _("Moderator role: {role}").format(role=role),
            _("Language: {value}").format(value=i18n.LANGUAGE_NAMES[changed.language or "en"]),
        ]
        await reply(interaction, "\n".join(lines), ephemeral=True)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(ServerSettings())
