"""The client is slash-only: the guilds intent alone, and no message ever processed."""

from __future__ import annotations

from typing import Any

import discord


async def test_the_bot_asks_only_for_the_guilds_intent(world) -> None:
    assert world.env.bot.intents == discord.Intents(guilds=True)


async def test_guild_messages_are_not_dispatched(world) -> None:
    bot = world.env.bot
    seen: list[Any] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    bot.add_listener(on_message, "on_message")
    await world.member.send(world.general, f"<@{bot.user.id}> help")
    await world.member.send(world.general, "@everyone hello")
    await world.env.settle()
    assert seen == []
    assert world.general.history()[-1].author.id == world.member.id  # the bot said nothing
    # Slash commands still work.
    r = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert "Japan" in r.response.content or r.response.embeds
