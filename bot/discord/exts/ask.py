"""/ask: a free question answered from the catalogue, with the developments it rests on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import i18n
from bot.core.ask.service import check_question, question_language
from bot.discord.exts._common import defer, scope_of, send_rendered, services, take_turn

if TYPE_CHECKING:
    from bot.discord.client import BriefBot


class Ask(commands.Cog):
    """The ask command."""

    @app_commands.command(name="ask", description="Ask a question; the answer quotes the catalogue")
    @app_commands.describe(question="Your question, in English, Japanese or Korean")
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]
    ) -> None:
        check_question(question)
        take_turn(interaction, "ask")
        # A question written in Japanese or Korean is answered in that language.
        language = question_language(question)
        if language is not None:
            i18n.set_locale(language)
        await defer(interaction)
        svc = services(interaction)
        answer = await svc.asker.ask(question, scope_of(interaction))
        await send_rendered(interaction, "ask.j2", answer=answer)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Ask())
