"""/development show|add|edit|retract|history."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.actors import check_can_write, default_scope
from bot.core.validation import (
    REASON_MAX,
    check_development_text,
    format_sources_text,
    parse_development_id,
    validate_development,
)
from bot.discord.exts._common import (
    NO_PINGS,
    actor_for,
    defer,
    embed_pages,
    reply,
    scope_of,
    send_pages,
    services,
)
from bot.discord.exts._forms import (
    Form,
    NextStepView,
    development_choice_fields,
    development_text_fields,
    open_form,
    sources_prefill,
)
from bot.domain.errors import InvalidInput
from bot.domain.models import Development, DevelopmentDraft
from bot.domain.wording import N_
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

SCOPES = [
    app_commands.Choice(name="this server", value="server"),
    app_commands.Choice(name="global catalogue (editors)", value="global"),
]
AUTOCOMPLETE_BUDGET = 2.0  # seconds of Discord's 3


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


STEP_TWO = N_(
    "**Step 2 of 2**: press the button to choose the countries, domain, kind and importance."
)
STEP_TWO_OR_SAVE = N_(
    "**Step 2 of 2**: press the button to choose the countries, domain, kind and importance. "
    "Or save now, keeping the current ones."
)


class Wizard:
    """The two steps of the development form and the one save they lead to.

    Step 1 (a modal) takes the text: title, date, summary, sources, why it matters. Step 2
    (a second modal, opened from a button since a modal cannot answer a modal) takes the
    choices: countries, domain, kind, importance, and tags. A save happens once: pressing
    an old button again is refused instead of adding a twin.
    """

    def __init__(
        self,
        title: str,
        dev: Development | None,
        save: Callable[[discord.Interaction, DevelopmentDraft], Awaitable[None]],
        check: Callable[[discord.Interaction], Awaitable[object]],
    ) -> None:
        self.title = title
        self.dev = dev
        self.save = save
        self.check = check  # the rights again: they may have changed since the form opened
        self.saved = False
        # Sources that do not fit in the sources box: saved unchanged with what was typed.
        self.kept_sources = sources_prefill(dev)[1] if dev else ()

    def first_form(self) -> Form:
        """Step 1, prefilled from the development on edit."""
        return Form(
            _("{title} (1 of 2)").format(title=self.title),
            development_text_fields(self.dev),
            self.step_one,
        )

    async def step_one(self, inter: discord.Interaction, text: dict[str, str]) -> None:
        await self.check(inter)
        if self.kept_sources:
            typed = text.get("sources", "").rstrip()
            kept = format_sources_text(self.kept_sources)
            text = {**text, "sources": f"{typed}\n{kept}" if typed else kept}
        check_development_text(text)

        async def step_two(i: discord.Interaction, chosen: dict[str, str]) -> None:
            await self.finish(i, {**text, **chosen})

        form = Form(
            _("{title} (2 of 2)").format(title=self.title),
            development_choice_fields(self.dev),
            step_two,
        )
        keep = None
        if self.dev is not None:
            current = {
                "countries": " ".join(self.dev.countries),
                "domain": self.dev.domain,
                "kind": self.dev.kind,
                "importance": str(self.dev.importance),
                "tags": " ".join(self.dev.tags),
            }

            async def keep(i: discord.Interaction) -> None:
                await self.finish(i, {**text, **current})

        await inter.response.send_message(
            _(STEP_TWO if keep is None else STEP_TWO_OR_SAVE),
            view=NextStepView(form, keep),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def finish(self, inter: discord.Interaction, values: dict[str, str]) -> None:
        if self.saved:
            raise InvalidInput("form", _("this form was already saved; use /development edit"))
        draft = validate_development(values)
        self.saved = True
        try:
            await self.save(inter, draft)
        except BaseException:
            self.saved = False
            raise


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
    @app_commands.describe(scope="This server (moderators) or the global catalogue (editors)")
    @app_commands.choices(scope=SCOPES)
    async def add(self, interaction: discord.Interaction, scope: str | None = None) -> None:
        async def save(inter: discord.Interaction, draft: DevelopmentDraft) -> None:
            await defer(inter, ephemeral=True)
            dev = await services(inter).catalogue.add(await actor_for(inter), draft, scope)
            await send_pages(
                inter,
                self.card(inter, dev),
                content=_(
                    "Added development **#{id}**. It now appears in /brief and /search."
                ).format(id=dev.id),
                ephemeral=True,
            )

        async def check(inter: discord.Interaction) -> None:
            default_scope(await actor_for(inter), scope)

        async def load() -> Form:
            await check(interaction)
            return Wizard(_("Add a development"), None, save, check).first_form()

        await open_form(interaction, load())

    @app_commands.command(name="edit", description="Edit a development (moderators, editors)")
    @app_commands.describe(id="The development's id")
    @app_commands.autocomplete(id=id_autocomplete)
    async def edit(self, interaction: discord.Interaction, id: str) -> None:
        dev_id = parse_development_id(id)

        async def save(inter: discord.Interaction, draft: DevelopmentDraft) -> None:
            await defer(inter, ephemeral=True)
            result = await services(inter).catalogue.edit(await actor_for(inter), dev_id, draft)
            changed = ", ".join(result.changes) or _("nothing — no revision recorded")
            await send_pages(
                inter,
                self.card(inter, result.development),
                content=_("Edited **#{dev_id}**: changed {changed}.").format(
                    dev_id=dev_id, changed=changed
                ),
                ephemeral=True,
            )

        async def check(inter: discord.Interaction) -> Development:
            actor = await actor_for(inter)
            dev = await services(inter).catalogue.show(dev_id, actor.scope)
            check_can_write(actor, dev.scope, _("development #{id}").format(id=dev_id))
            return dev

        async def load() -> Form:
            dev = await check(interaction)
            if dev.retracted:  # say so before the form, not after it was filled in
                raise InvalidInput(
                    "id",
                    _("#{dev_id} is retracted; retracted developments are frozen").format(
                        dev_id=dev_id
                    ),
                )
            return Wizard(
                _("Edit development #{dev_id}").format(dev_id=dev_id), dev, save, check
            ).first_form()

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
            _(
                "Retracted **#{id}**. It no longer appears in briefs, search or digests; its history is kept."
            ).format(id=dev.id),
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
