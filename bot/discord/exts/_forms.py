"""Modals for developments and assessments, and the retry button shown when a form fails
validation (it reopens the form with everything the user typed or chose).

Every control sits in a `discord.ui.Label` (discord.py ≥ 2.6): text inputs and select menus
alike, so choices such as the domain are picked, not typed. A modal holds at most five
components, so the development form comes in two steps (see `DevelopmentWizard`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import discord

from bot import i18n
from bot.core.countries import NAMES
from bot.core.validation import (
    BOTTOM_LINE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    WHY_MAX,
    fit_sources_text,
)
from bot.discord.exts._common import NO_PINGS, defer, handle_error, reply, services, speak_to
from bot.domain.errors import InvalidInput
from bot.domain.models import DOMAINS, KINDS, TRENDS, Assessment, Development, Source
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.i18n import ngettext

OnSubmit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]
FORM_TIMEOUT = 900.0
# Of Discord's 3 s to answer, how long a form may take to load (rights, prefill) before
# the bot answers with a button that opens it instead.
FORM_LOAD_BUDGET = 2.0
SELECT_OPTIONS_MAX = 25  # Discord's limit per select menu
TEXT_INPUT_MAX = 4000  # Discord's limit on a text box's length, and on a value refilled in it
SOURCES_HINT = N_("A link, a link then publisher or title, or a citation without a link")


@dataclass(frozen=True)
class TextField:
    """A labelled text box."""

    id: str
    label: str
    default: str | None = None
    paragraph: bool = False
    required: bool = True
    max_length: int | None = None
    placeholder: str | None = None
    description: str | None = None

    def refilled(self, value: str) -> TextField:
        """The same box holding `value`."""
        return replace(self, default=value)

    def item(self) -> discord.ui.TextInput[Any]:
        """The discord.py control (its label is the surrounding Label's)."""
        return discord.ui.TextInput(
            custom_id=self.id,
            style=discord.TextStyle.paragraph if self.paragraph else discord.TextStyle.short,
            required=self.required,
            max_length=self.max_length,
            placeholder=_(self.placeholder) if self.placeholder else None,
            default=self.default,
        )


@dataclass(frozen=True)
class ChoiceField:
    """A labelled select menu; `options` are (label, value) pairs, `default` the chosen."""

    id: str
    label: str
    options: tuple[tuple[str, str], ...]
    default: tuple[str, ...] = ()
    max_values: int = 1
    required: bool = True
    description: str | None = None

    def refilled(self, value: str) -> ChoiceField:
        """The same menu with the values in `value` (space-separated) chosen."""
        return replace(self, default=tuple(value.split()))

    def item(self) -> discord.ui.Select[Any]:
        """The discord.py control, with the default options pre-selected."""
        return discord.ui.Select(
            custom_id=self.id,
            options=[
                discord.SelectOption(label=_(label), value=value, default=value in self.default)
                for label, value in self.options
            ],
            min_values=1 if self.required else 0,
            max_values=min(self.max_values, len(self.options)),
            required=self.required,
        )


Field = TextField | ChoiceField


class Form(discord.ui.Modal):
    """A modal whose values go to `on_values` by field id (a multi-select's values joined
    by spaces); validation errors offer a prefilled retry."""

    def __init__(self, title: str, fields: Sequence[Field], on_values: OnSubmit):
        super().__init__(title=title[:45], timeout=FORM_TIMEOUT)
        self.fields = list(fields)
        self.on_values = on_values
        self.controls: dict[str, discord.ui.TextInput[Any] | discord.ui.Select[Any]] = {}
        for field in self.fields:
            control = field.item()
            self.controls[field.id] = control
            self.add_item(
                discord.ui.Label(
                    text=_(field.label),
                    description=_(field.description) if field.description else None,
                    component=control,
                )
            )

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        speak_to(interaction)  # a submitted form is answered in its user's language
        return True

    def values(self) -> dict[str, str]:
        """What was typed or chosen, by field id."""
        found: dict[str, str] = {}
        for key, control in self.controls.items():
            if isinstance(control, discord.ui.Select):
                found[key] = " ".join(str(v) for v in control.values)
            else:
                found[key] = control.value
        return found

    def copy(self) -> Form:
        """A fresh modal with the same fields (a modal instance answers one submit)."""
        return Form(self.title, self.fields, self.on_values)

    def refilled(self) -> Form:
        """The same form holding the values just submitted."""
        values = self.values()
        return Form(self.title, [f.refilled(values[f.id]) for f in self.fields], self.on_values)

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

    def __init__(self, form: Form, owner_id: int, label: str | None = None) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.form = form
        self.owner_id = owner_id
        self.retry.label = label or _("Fix and resubmit")

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        speak_to(interaction)
        return True

    @discord.ui.button(label="Fix and resubmit", style=discord.ButtonStyle.primary)
    async def retry(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(self.form.copy())

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_error(interaction, error)


async def open_form(interaction: discord.Interaction, load: Awaitable[Form]) -> None:
    """Show a form that needs the database first (rights, prefilled values) within
    Discord's 3 s. A modal cannot follow a deferral, so when loading is slow the answer is
    a private button that opens the loaded form; refusals arrive as usual either way."""
    task = asyncio.ensure_future(load)
    done, _pending = await asyncio.wait({task}, timeout=FORM_LOAD_BUDGET)
    if done:
        await interaction.response.send_modal(task.result())
        return
    await defer(interaction, ephemeral=True)
    form = await task
    await reply(
        interaction,
        _("The form took a moment to load; press the button to open it."),
        view=RetryView(form, interaction.user.id, label=_("Open the form")),
        ephemeral=True,
    )


# --- the development form -------------------------------------------------------------------

# The countries offered in the form: the three allies, their neighbours and the partners
# that appear in the region's news. A development's own countries are always offered too.
REGION_COUNTRIES = (
    "US", "JP", "KR", "KP", "CN", "RU", "TW", "AU", "IN", "PH", "VN", "ID", "SG",
    "TH", "MY", "MN", "NZ", "CA", "GB", "FR", "DE", "UA", "IL", "IR",
)  # fmt: skip
IMPORTANCE_OPTIONS = ((N_("3 — major"), "3"), (N_("2 — notable"), "2"), (N_("1 — minor"), "1"))


def _country_options(current: Sequence[str]) -> tuple[tuple[str, str], ...]:
    codes = list(dict.fromkeys([*current, *REGION_COUNTRIES]))[:SELECT_OPTIONS_MAX]
    return tuple((_country_label(code), code) for code in codes)


def _country_label(code: str) -> str:
    """`KR · South Korea` / `KR · 韓国` / `KR · 한국` (the code is what people know too)."""
    if i18n.current.get() == i18n.DEFAULT:
        return f"{code} · {NAMES[code]}" if code in NAMES else code
    return f"{code} · {i18n.country_names((code,))}"


def sources_prefill(dev: Development) -> tuple[str, tuple[Source, ...]]:
    """The sources text box of the edit form, and the sources that did not fit in it (ten
    long sources can take 9,000 characters; a text box holds 4,000). Those are kept as
    they are when the form is saved (see `Wizard.step_one`)."""
    text, shown = fit_sources_text(dev.sources, TEXT_INPUT_MAX)
    return text, dev.sources[shown:]


def _sources_hint(dev: Development | None) -> str:
    """The sources box's description: how to write them, or which ones it leaves out."""
    kept = sources_prefill(dev)[1] if dev else ()
    if not kept:
        return SOURCES_HINT  # translated when the form is built
    shown = len(dev.sources) - len(kept) if dev else 0
    return ngettext(
        "Sources 1–{shown} of {total}; the other one is kept as it is",
        "Sources 1–{shown} of {total}; the other {kept} are kept as they are",
        len(kept),
    ).format(shown=shown, total=shown + len(kept), kept=len(kept))


def development_text_fields(dev: Development | None = None) -> list[Field]:
    """Step 1: what happened and where it is documented, prefilled from `dev` on edit
    (every value within its box's limit: see `sources_prefill`)."""
    return [
        TextField(
            "title",
            N_("Title"),
            dev.title if dev else None,
            max_length=TITLE_MAX,
            placeholder=N_("Yoon and Kishida hold a summit in Tokyo"),
        ),
        TextField(
            "date",
            N_("Date"),
            dev.occurred.iso() if dev else None,
            max_length=10,
            placeholder="2023-03-16",
            description=N_("YYYY-MM-DD, or YYYY-MM / YYYY when only that is known"),
        ),
        TextField(
            "summary", N_("Summary"), dev.summary if dev else None, True, max_length=SUMMARY_MAX
        ),
        TextField(
            "sources",
            N_("Sources, one per line"),
            sources_prefill(dev)[0] if dev else None,
            True,
            max_length=TEXT_INPUT_MAX,
            placeholder=N_("https://www.yna.co.kr/view/AEN2023 Yonhap"),
            description=_sources_hint(dev),
        ),
        TextField(
            "why_it_matters",
            N_("Why it matters (optional)"),
            (dev.why_it_matters or None) if dev else None,
            True,
            required=False,
            max_length=WHY_MAX,
        ),
    ]


def development_choice_fields(
    dev: Development | None = None, chosen: dict[str, str] | None = None
) -> list[Field]:
    """Step 2: countries, domain, kind, importance and tags, prefilled from `dev` on edit
    (or from `chosen`, values by field id)."""
    chosen = chosen or {}
    countries = tuple(chosen["countries"].split()) if "countries" in chosen else ()
    if not countries and dev:
        countries = dev.countries

    def pick(key: str, current: str | None) -> tuple[str, ...]:
        value = chosen.get(key, current)
        return (value,) if value else ()

    return [
        ChoiceField(
            "countries",
            N_("Countries"),
            _country_options(countries),
            countries,
            max_values=SELECT_OPTIONS_MAX,
            description=N_("Every country involved (choose several)"),
        ),
        ChoiceField(
            "domain",
            N_("Domain"),
            tuple((d, d) for d in DOMAINS),
            pick("domain", dev.domain if dev else None),
        ),
        ChoiceField(
            "kind",
            N_("Kind"),
            tuple((k, k) for k in KINDS),
            pick("kind", dev.kind if dev else "event"),
        ),
        ChoiceField(
            "importance",
            N_("Importance"),
            IMPORTANCE_OPTIONS,
            pick("importance", str(dev.importance) if dev else "2"),
        ),
        TextField(
            "tags",
            N_("Tags (optional)"),
            chosen.get("tags", " ".join(dev.tags) if dev else None) or None,
            required=False,
            max_length=400,
            placeholder="trade export-controls",
        ),
    ]


def assessment_fields(current: Assessment | None) -> list[Field]:
    """Bottom line, trend and watch-next, prefilled with the current assessment."""
    return [
        TextField(
            "bottom_line",
            N_("Bottom line"),
            current.bottom_line if current else None,
            True,
            max_length=BOTTOM_LINE_MAX,
        ),
        ChoiceField(
            "trend",
            N_("Trend"),
            tuple((t, t) for t in TRENDS),
            (current.trend if current else "unchanged",),
        ),
        TextField(
            "watch_next",
            N_("Watch next (up to 5, one per line)"),
            "\n".join(current.watch_next) if current else None,
            True,
            required=False,
            max_length=1100,
        ),
    ]


class NextStepView(discord.ui.View):
    """Between the two steps of a form: a button opening the second modal (a modal cannot
    answer a modal), and on edit one that saves while keeping the second step's values."""

    def __init__(
        self,
        form: Form,
        keep: Callable[[discord.Interaction], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.form = form
        self.keep = keep
        self.next_step.label = _("Next: countries, domain, kind")
        self.save_as_is.label = _("Save, keeping those")
        if keep is None:
            self.remove_item(self.save_as_is)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        speak_to(interaction)
        return True

    @discord.ui.button(label="Next: countries, domain, kind", style=discord.ButtonStyle.primary)
    async def next_step(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(self.form.copy())

    @discord.ui.button(label="Save, keeping those", style=discord.ButtonStyle.secondary)
    async def save_as_is(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        if self.keep is not None:
            await self.keep(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_error(interaction, error)
