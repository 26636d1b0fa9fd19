"""/settings: a server's time zone, moderator role and language."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.clock import iso_utc
from bot.core.errors import InvalidInput
from bot.core.validation import check_moderator_role
from bot.exts._common import defer, reply, require_moderator, services, timezone_autocomplete
from storage.settings import get_guild_settings, put_guild_settings

if TYPE_CHECKING:
    from bot.client import BriefBot

LANGUAGES = [app_commands.Choice(name="English", value="en")]


def check_timezone(name: str) -> str:
    """An IANA zone name, or a refusal naming the valid form."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "timezone",
            f"{name[:40]!r} is not an IANA time zone; use a name like Asia/Seoul, America/New_York or UTC",
        ) from None
    return name


class Settings(commands.Cog):
    """Server settings."""

    @app_commands.command(
        name="settings", description="Show or change this server's settings (moderators)"
    )
    @app_commands.describe(
        timezone="IANA time zone for digests, e.g. Asia/Seoul",
        moderator_role="Members with this role count as moderators",
        language="Language of answers",
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
        assert interaction.guild_id is not None
        current = await get_guild_settings(svc.db, interaction.guild_id)
        changed = replace(
            current,
            timezone=timezone or current.timezone,
            moderator_role_id=moderator_role.id if moderator_role else current.moderator_role_id,
            language=language or current.language,
        )
        if changed != current:
            async with svc.db.transaction() as w:
                await put_guild_settings(w, changed, actor=actor.label, at=iso_utc(svc.clock()))
        role = (
            f"<@&{changed.moderator_role_id}>"
            if changed.moderator_role_id
            else "none (Manage Server only)"
        )
        lines = [
            "**Settings saved.**" if changed != current else "**Current settings**",
            f"Time zone: {changed.timezone or svc.settings.default_timezone + ' (bot default)'}",
            f"Moderator role: {role}",
            f"Language: {changed.language or 'en'}",
        ]
        await reply(interaction, "\n".join(lines), ephemeral=True)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Settings())
