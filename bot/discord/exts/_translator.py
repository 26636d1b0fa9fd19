"""Command descriptions, parameter descriptions and choices in the user's client language.

discord.py asks the tree's translator for every string it syncs; Discord then shows the
localisation matching each user's client. Command and parameter NAMES stay English: the
commands people type and share stay the same in every language (and within Discord's
name rules)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import i18n

#: The Discord locales the catalogues cover.
DISCORD_LOCALES = {discord.Locale.japanese: "ja", discord.Locale.korean: "ko"}
KEPT_ENGLISH = {
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
}


class CatalogueTranslator(app_commands.Translator):
    """Looks every command string up in the gettext catalogues."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The translation, or None (Discord then shows the English text)."""
        language = DISCORD_LOCALES.get(locale)
        if language is None or context.location in KEPT_ENGLISH:
            return None
        text = i18n.translate_to(language, string.message)
        return text if text != string.message else None
