"""/development show|add|edit|retract|history."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.actors import check_can_write, default_scope
from bot.core.validation import (
    REASON_MAX,
    WHY_MAX,
    parse_development_id,
    validate_development,
)
from bot.domain.errors import InvalidInput
from bot.domain.models import KINDS, Development
from bot.exts._common import (
    actor_for,
    defer,
    embed_pages,
    reply,
    scope_of,
    send_pages,
    services,
)
from bot.exts._forms import Form, development_fields, open_form, split_details

if TYPE_CHECKING:
    from bot.client import BriefBot

SCOPES = [
    app_commands.Choice(name="this server", value="server"),
    app_commands.Choice(name="global catalogue (editors)", value="global"),
]
KIND_CHOICES = [app_commands.Choice(name=k, value=k) for k in KINDS]
AUTOCOMPLETE_BUDGET = 2.0  # seconds of Discord's 3
IMPORTANCE = [
    app_commands.Choice(name="3 — major", value=3),
    app_commands.Choice(name="2 — notable", value=2),
    app_commands.Choice(name="1 — minor", value=1),
]


async def id_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Developments this server can see: by id prefix, else by words in the title."""
    lookup = asyncio.ensure_future(
        services(interaction).catalogue.autocomplete_ids(current, scope_of(interaction))
    )
    done, _ = await asyncio.wait({lookup}, timeout=AUTOCOMPLETE_BUDGET)
    if not done:
        # Autocomplete cannot be deferred: offer nothing rather than answer too late; the
        # read finishes in the background (not cancelled mid-statement).
        lookup.add_done_callback(lambda t: t.cancelled() or t.exception())
        return []
    found = lookup.result()
    return [app_commands.Choice(name=f"#{i} · {t}"[:100], value=str(i)) for i, t in found]


def _draft_values(values: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    return {**values, **split_details(values["details"]), **extra}


class Developments(commands.GroupCog, group_name="development"):
    """Reading and curating developments."""

    def card(self, interaction: discord.Interaction, dev: Development) -> list[discord.Embed]:
        """A development as embeds."""
        return embed_pages(services(interaction).renderers.discord, "development.j2", d=dev)

    @app_commands.command(name="show", description="One development in full, with its sources")
    @app_commands.describe(id="The development's id, e.g. 12")
    @app_commands.autocomplete(id=id_autocomplete)
    async def show(self, interaction: discord.Interaction, id: str) -> None:
        dev_id = parse_development_id(id)
        await defer(interaction)
        dev = await services(interaction).catalogue.show(dev_id, scope_of(interaction))
        await send_pages(interaction, self.card(interaction, dev))

    @app_commands.command(name="add", description="Add a development (moderators, editors)")
    @app_commands.describe(
        kind="event (default), indicator or analysis",
        importance="How much it matters (default 2)",
        why_it_matters="One line on why it matters (optional)",
        scope="This server (moderators) or the global catalogue (editors)",
    )
    @app_commands.choices(kind=KIND_CHOICES, scope=SCOPES)
    @app_commands.choices(importance=IMPORTANCE)
    async def add(
        self,
        interaction: discord.Interaction,
        kind: str = "event",
        importance: int = 2,
        why_it_matters: app_commands.Range[str, 1, WHY_MAX] | None = None,
        scope: str | None = None,
    ) -> None:
        extra = {"kind": kind, "importance": importance, "why_it_matters": why_it_matters}

        async def submitted(inter: discord.Interaction, values: dict[str, str]) -> None:
            draft = validate_development(_draft_values(values, extra))
            await defer(inter, ephemeral=True)
            dev = await services(inter).catalogue.add(await actor_for(inter), draft, scope)
            await send_pages(
                inter,
                self.card(inter, dev),
                content=f"Added development **#{dev.id}**. It now appears in /brief and /search.",
                ephemeral=True,
            )

        async def load() -> Form:
            default_scope(await actor_for(interaction), scope)
            return Form("Add a development", development_fields(), submitted)

        await open_form(interaction, load())

    @app_commands.command(name="edit", description="Edit a development (moderators, editors)")
    @app_commands.describe(
        id="The development's id",
        kind="Change the kind",
        importance="Change the importance",
        why_it_matters="Change the why-it-matters line",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.choices(importance=IMPORTANCE)
    @app_commands.autocomplete(id=id_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction,
        id: str,
        kind: str | None = None,
        importance: int | None = None,
        why_it_matters: app_commands.Range[str, 1, WHY_MAX] | None = None,
    ) -> None:
        dev_id = parse_development_id(id)
        extra: dict[str, Any] = {}  # kind, importance, why: the options, else the current

        async def load() -> Form:
            actor = await actor_for(interaction)
            dev = await services(interaction).catalogue.show(dev_id, actor.scope)
            check_can_write(actor, dev.scope, f"development #{dev_id}")
            if dev.retracted:  # say so before the form, not after it was filled in
                raise InvalidInput(
                    "id", f"#{dev_id} is retracted; retracted developments are frozen"
                )
            extra.update(
                kind=kind or dev.kind,
                importance=importance or dev.importance,
                why_it_matters=why_it_matters if why_it_matters is not None else dev.why_it_matters,
            )
            return Form(f"Edit development #{dev_id}", development_fields(dev), submitted)

        async def submitted(inter: discord.Interaction, values: dict[str, str]) -> None:
            draft = validate_development(_draft_values(values, extra))
            await defer(inter, ephemeral=True)
            result = await services(inter).catalogue.edit(await actor_for(inter), dev_id, draft)
            changed = ", ".join(result.changes) or "nothing — no revision recorded"
            await send_pages(
                inter,
                self.card(inter, result.development),
                content=f"Edited **#{dev_id}**: changed {changed}.",
                ephemeral=True,
            )

        await open_form(interaction, load())

    @app_commands.command(name="retract", description="Retract a development (moderators, editors)")
    @app_commands.describe(id="The development's id", reason="Why it is retracted (shown with it)")
    @app_commands.autocomplete(id=id_autocomplete)
    async def retract(
        self,
        interaction: discord.Interaction,
        id: str,
        reason: app_commands.Range[str, 1, REASON_MAX],
    ) -> None:
        dev_id = parse_development_id(id)
        await defer(interaction, ephemeral=True)
        svc = services(interaction)
        dev = await svc.catalogue.retract(await actor_for(interaction), dev_id, reason)
        await reply(
            interaction,
            f"Retracted **#{dev.id}**. It no longer appears in briefs, search or digests; "
            "its history is kept.",
            ephemeral=True,
        )

    @app_commands.command(
        name="history", description="Who changed a development, and what (moderators, editors)"
    )
    @app_commands.describe(id="The development's id")
    @app_commands.autocomplete(id=id_autocomplete)
    async def history(self, interaction: discord.Interaction, id: str) -> None:
        dev_id = parse_development_id(id)
        await defer(interaction, ephemeral=True)
        svc = services(interaction)
        dev, revisions = await svc.catalogue.history(await actor_for(interaction), dev_id)
        pages = embed_pages(svc.renderers.discord, "history.j2", d=dev, revisions=revisions)
        await send_pages(interaction, pages, ephemeral=True)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Developments())
