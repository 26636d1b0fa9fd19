"""The Discord client: opens the shared services, loads every extension, syncs commands."""

from __future__ import annotations

import logging
import pkgutil
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.discord import exts
from bot.discord.exts._common import BriefTree, answered
from bot.discord.exts._digest_poster import no_resend_trace
from bot.discord.exts._translator import CatalogueTranslator
from bot.domain.clock import Clock, system_clock
from bot.services import BOT_READERS, Services, open_services

log = logging.getLogger(__name__)


def extension_names() -> list[str]:
    """Every extension module under `bot.discord.exts` (private `_modules` excluded)."""
    return sorted(
        f"{exts.__name__}.{m.name}"
        for m in pkgutil.iter_modules(exts.__path__)
        if not m.name.startswith("_")
    )


class BriefBot(commands.Bot):
    """Trilateral Brief: app commands only, the guilds intent only, never pings.

    `commands.Bot` (not `discord.Client`) only for its extension and cog loading: without
    the message intents no guild message reaches the bot, and none is parsed as a command.
    """

    services: Services
    # Exactly one connection and no shard arguments unless a shard count is configured
    # (`ShardedBriefBot`): a single-process install behaves as before sharding existed.
    SHARDED = False

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        sync: bool = True,
        services: Services | None = None,
    ) -> None:
        # The bot has no voice: without this, discord.py warns at start that PyNaCl and
        # davey are missing, which reads like a broken install.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        shards: dict[str, Any] = {}
        if self.SHARDED:
            shards = {
                "shard_count": settings.discord_shard_count,
                "shard_ids": list(settings.discord_shard_ids)
                if settings.discord_shard_ids is not None
                else None,
            }
        super().__init__(
            # No prefix at all (an empty list, not a function returning one): no message is
            # ever a command, and discord.py then does not warn that the message content
            # intent is missing (the README says to leave it off).
            command_prefix=[],
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=BriefTree,
            # A forum post (no nonce) must not be resent after a lost answer: see
            # bot.discord.exts._digest_poster.
            http_trace=no_resend_trace(),
            **shards,
        )
        self.settings = settings
        self.clock = clock
        # Of several shard processes only the one running shard 0 syncs (Settings).
        self.sync_on_start = sync and settings.syncs_commands
        # Services opened by the process (`briefbot run` with other front ends) are shared
        # and closed by it; otherwise the bot opens and closes its own.
        self._shared_services = services
        if services is not None:
            self.services = services

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, Any, Any] | app_commands.ContextMenu,
        /,
    ) -> None:
        """Count the command for the metrics (refusals are counted by the tree)."""
        answered(interaction)

    async def on_message(self, message: discord.Message, /) -> None:
        """Ignore messages (DMs could still arrive): there are no prefix commands."""

    async def setup_hook(self) -> None:
        """Open the database, load extensions and sync the command tree."""
        if self._shared_services is None:
            self.services = await open_services(
                self.settings, clock=self.clock, readers=BOT_READERS
            )
        await self.tree.set_translator(CatalogueTranslator())
        for name in extension_names():
            await self.load_extension(name)
        if self.sync_on_start:
            await self.sync_commands()
        elif self.settings.discord_shard_count is not None:
            log.info("commands not synced: the process running shard 0 syncs them")

    async def sync_commands(self) -> None:
        """Sync to DEV_GUILD_ID when set (instant), else globally."""
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("commands synced guild=%s count=%s", self.settings.dev_guild_id, len(synced))
        else:
            synced = await self.tree.sync()
            log.info("commands synced globally count=%s", len(synced))

    async def close(self) -> None:
        """Stop the bot and close the database."""
        await super().close()
        if hasattr(self, "services") and self._shared_services is None:
            await self.services.close()


class ShardedBriefBot(BriefBot, commands.AutoShardedBot):
    """The same bot running the shards `DISCORD_SHARD_IDS` of `DISCORD_SHARD_COUNT`: one
    gateway connection per shard in this process; the other shards' servers are answered
    by the other processes on the shared database."""

    SHARDED = True


def make_bot(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    sync: bool = True,
    services: Services | None = None,
) -> BriefBot:
    """The client the settings ask for: sharded when DISCORD_SHARD_COUNT is set."""
    cls = ShardedBriefBot if settings.discord_shard_count is not None else BriefBot
    return cls(settings, clock=clock, sync=sync, services=services)
