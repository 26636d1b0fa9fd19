"""Modals for developments and assessments, and the retry button shown when a form fails
validation (it reopens the form with everything the user typed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.validation import (
    BOTTOM_LINE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    format_sources_text,
)
from bot.domain.errors import InvalidInput
from bot.domain.models import DOMAINS, Assessment, Development
from bot.exts._common import NO_PINGS, defer, handle_error, reply, services

OnSubmit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]
FORM_TIMEOUT = 900.0
# Of Discord's 3 s to answer, how long a form may take to load (rights, prefill) before
# the bot answers with a button that opens it instead.
FORM_LOAD_BUDGET = 2.0


def details_text(countries: Any, domain: str, tags: Any) -> str:
    """`JP KR | economy | trade export-controls` for the details box."""
    return f"{' '.join(countries)} | {domain} | {' '.join(tags)}".strip(" |")


def split_details(text: str) -> dict[str, str]:
    """The details box back into countries, domain and tags."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2:
        raise InvalidInput(
            "countries | domain | tags",
            f"write countries, then the domain ({', '.join(DOMAINS)}), then optional tags, "
            "separated by | — e.g. JP KR | economy | trade",
        )
    return {"countries": parts[0], "domain": parts[1], "tags": " ".join(parts[2:])}


class Form(discord.ui.Modal):
    """A modal whose values go to `on_values`; validation errors offer a prefilled retry."""

    def __init__(self, title: str, fields: list[discord.ui.TextInput[Any]], on_values: OnSubmit):
        super().__init__(title=title, timeout=FORM_TIMEOUT)
        self.fields = fields
        self.on_values = on_values
        for field in fields:
            self.add_item(field)

    def values(self) -> dict[str, str]:
        """Typed values by custom_id."""
        return {str(f.custom_id): f.value for f in self.fields}

    def refilled(self) -> Form:
        """The same form with the values just typed."""
        fields = []
        for f in self.fields:
            copy: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=f.label,
                custom_id=f.custom_id,
                style=f.style,
                required=f.required,
                max_length=f.max_length,
                placeholder=f.placeholder,
                default=f.value,
            )
            fields.append(copy)
        return Form(self.title, fields, self.on_values)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        try:
            await self.on_values(interaction, self.values())
        except InvalidInput as exc:
            text = services(interaction).renderers.discord.render(
                "error.j2", kind="invalid", field=exc.field, message=exc.rule
            )
            view = RetryView(self.refilled(), interaction.user.id)
            if interaction.response.is_done():
                await interaction.followup.send(
                    text, view=view, ephemeral=True, allowed_mentions=NO_PINGS
                )
            else:
                await interaction.response.send_message(
                    text, view=view, ephemeral=True, allowed_mentions=NO_PINGS
                )

    async def on_error(  # type: ignore[override]  # Modal's signature differs from View's
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await handle_error(interaction, error)


class RetryView(discord.ui.View):
    """One button that reopens a form with what the user typed."""

    def __init__(self, form: Form, owner_id: int, label: str = "Fix and resubmit") -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.form = form
        self.owner_id = owner_id
        self.retry.label = label

    @discord.ui.button(label="Fix and resubmit", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(self.form.refilled())

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_error(interaction, error)


async def open_form(interaction: discord.Interaction, load: Awaitable[Form]) -> None:
    """Show a form that needs the database first (rights, prefilled values) within
    Discord's 3 s. A modal cannot follow a deferral, so when loading is slow the answer is
    a private button that opens the loaded form; refusals arrive as usual either way."""
    task = asyncio.ensure_future(load)
    done, _ = await asyncio.wait({task}, timeout=FORM_LOAD_BUDGET)
    if done:
        await interaction.response.send_modal(task.result())
        return
    await defer(interaction, ephemeral=True)
    form = await task
    await reply(
        interaction,
        "The form took a moment to load; press the button to open it.",
        view=RetryView(form, interaction.user.id, label="Open the form"),
        ephemeral=True,
    )


def development_fields(dev: Development | None = None) -> list[discord.ui.TextInput[Any]]:
    """The five boxes of the development form, prefilled from `dev` when editing."""
    return [
        discord.ui.TextInput(
            label="Title",
            custom_id="title",
            max_length=TITLE_MAX,
            default=dev.title if dev else None,
            placeholder="Yoon and Kishida hold a summit in Tokyo",
        ),
        discord.ui.TextInput(
            label="Date (YYYY-MM-DD, YYYY-MM or YYYY)",
            custom_id="date",
            max_length=10,
            default=dev.occurred.iso() if dev else None,
            placeholder="2023-03-16",
        ),
        discord.ui.TextInput(
            label="Summary",
            custom_id="summary",
            style=discord.TextStyle.paragraph,
            max_length=SUMMARY_MAX,
            default=dev.summary if dev else None,
        ),
        discord.ui.TextInput(
            label="Sources, one per line",
            custom_id="sources",
            style=discord.TextStyle.paragraph,
            max_length=4000,
            default=format_sources_text(dev.sources) if dev else None,
            placeholder="https://link | Publisher | Title | 2023-03-19",
        ),
        discord.ui.TextInput(
            label="Countries | domain | tags",
            custom_id="details",
            max_length=400,
            default=details_text(dev.countries, dev.domain, dev.tags) if dev else None,
            placeholder="JP KR | economy | trade export-controls",
        ),
    ]


def assessment_fields(current: Assessment | None) -> list[discord.ui.TextInput[Any]]:
    """Bottom line, trend and watch-next boxes, prefilled with the current assessment."""
    return [
        discord.ui.TextInput(
            label="Bottom line",
            custom_id="bottom_line",
            style=discord.TextStyle.paragraph,
            max_length=BOTTOM_LINE_MAX,
            default=current.bottom_line if current else None,
        ),
        discord.ui.TextInput(
            label="Trend: improving, unchanged or deteriorating",
            custom_id="trend",
            max_length=20,
            default=current.trend if current else "unchanged",
        ),
        discord.ui.TextInput(
            label="Watch next (up to 5, one per line)",
            custom_id="watch_next",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1100,
            default="\n".join(current.watch_next) if current else None,
        ),
    ]
