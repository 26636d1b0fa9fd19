"""What every cog shares: who is asking, answering in time, refusals, errors, embeds, pages.

Domain errors become ephemeral answers here and nowhere else; anything unexpected becomes a
short apology with an error id, and the log holds the traceback under that id.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot import i18n
from bot.core import actors
from bot.core.actors import Actor
from bot.core.digests.schedule import listed_zones
from bot.core.rendering import Renderer, truncate
from bot.core.text import split_text
from bot.core.topics import rank_topics
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.scope import Scope
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.services import Services

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

log = logging.getLogger("bot.discord.exts")

NO_PINGS = discord.AllowedMentions.none()
EMBED_TITLE_MAX = 256
EMBED_FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # title + description + footer of one embed
CONTENT_MAX = 2000
PAGE_DESCRIPTION_MAX = 3800  # under 4,096, with room for title and footer in most pages
PAGE_SUFFIX_ROOM = len(" · page 9999/9999")  # as long as its ja/ko translations, or longer
PAGE_TIMEOUT = 300.0
COLOUR = discord.Colour(0x2B6CB0)
PRIVATE_ANSWER = N_("Answered privately.")


def services(interaction: discord.Interaction) -> Services:
    """The process's shared services."""
    return cast("BriefBot", interaction.client).services


def take_turn(interaction: discord.Interaction, action: str) -> None:
    """Count a costly action (`bot.core.cooldowns`) against the caller's allowance and
    their server's (or DM channel's); `TooSoon`, answered privately, when either is used
    up. Call it before deferring, so the refusal is the first, ephemeral, answer."""
    place = interaction.guild_id or f"dm:{interaction.channel_id}"
    services(interaction).limits.take(action, f"dc:{interaction.user.id}", f"dc:{place}")


def scope_of(interaction: discord.Interaction) -> Scope | None:
    """The server asked in; None in a direct message."""
    return None if interaction.guild_id is None else Scope.discord(interaction.guild_id)


async def actor_for(interaction: discord.Interaction) -> Actor:
    """The caller with their rights here: moderator (Manage Server or the configured role)
    and editor (listed in EDITOR_IDS)."""
    svc = services(interaction)
    user = interaction.user
    scope = scope_of(interaction)
    is_moderator = False
    if scope is not None and isinstance(user, discord.Member):
        is_moderator = user.guild_permissions.manage_guild
        if not is_moderator:
            role_id = await svc.scope_settings.moderator_role_id(scope)
            is_moderator = role_id is not None and any(r.id == role_id for r in user.roles)
    return Actor(
        user_id=str(user.id),
        name=user.name,
        scope=scope,
        is_moderator=is_moderator,
        is_editor=user.id in svc.settings.editor_ids,
    )


async def require_moderator(interaction: discord.Interaction) -> Actor:
    """The caller, if they are a moderator of this server (the bot checks, not only Discord)."""
    actor = await actor_for(interaction)
    actors.require_moderator(actor)
    return actor


# --- answering -------------------------------------------------------------------------


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge at once (Discord allows 3 s), before any database work."""
    if not interaction.response.is_done():
        interaction.extras["deferred_ephemeral"] = ephemeral
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message | None:
    """Answer (or follow up a deferral); never pings anyone."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS, "ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = content
    if embeds:
        kwargs["embeds"] = embeds
    if view is not None:
        kwargs["view"] = view
    if not interaction.response.is_done():
        await interaction.response.send_message(**kwargs)
        return await interaction.original_response()
    return await interaction.followup.send(wait=True, **kwargs)


async def refuse(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer to the caller alone, also after a public deferral."""
    text = truncate(text, CONTENT_MAX)
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        return
    if interaction.extras.get("deferred_ephemeral") is False:
        # The public "thinking…" placeholder must not turn into a public refusal. While it
        # is loading, a followup would only edit it (and fails once it is deleted), so:
        # complete it neutrally, answer privately, then remove it.
        await interaction.edit_original_response(
            content=_(PRIVATE_ANSWER), embeds=[], view=None, allowed_mentions=NO_PINGS
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete deferred response interaction=%s", interaction.id)
        return
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


def error_text(renderer: Renderer, error: BaseException, error_id: str | None = None) -> str:
    """The user-facing text of an error, from templates/<flavor>/error.j2."""
    if isinstance(error, InvalidInput):
        return renderer.render("error.j2", kind="invalid", field=error.field, message=error.rule)
    if isinstance(error, DomainError):
        return renderer.render(
            "error.j2", kind="domain", field=None, message=i18n.error_message(error)
        )
    return renderer.render("error.j2", kind="unexpected", field=None, message="", error_id=error_id)


def unwrap(error: BaseException) -> BaseException:
    """The original exception inside discord.py's command wrappers."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = (
            error.__cause__ if isinstance(error, app_commands.TransformerError) else error.original
        )
        if inner is None:
            break
        error = inner
    return error


async def handle_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one place errors become answers: refusals say what to fix, the rest get an id."""
    error = unwrap(error)
    renderer = services(interaction).renderers.discord
    if isinstance(error, DomainError):
        text = error_text(renderer, error)
    elif isinstance(error, app_commands.MissingPermissions):
        text = _("You need the Manage Server permission (or the moderator role) for this.")
    elif isinstance(error, app_commands.NoPrivateMessage):
        text = _("Use this command inside a server.")
    elif isinstance(error, app_commands.CheckFailure):
        text = str(error) or _("You cannot use this command here.")
    else:
        error_id = uuid.uuid4().hex[:8]
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "unexpected error error_id=%s command=%s user=%s guild=%s",
            error_id,
            command,
            interaction.user.id,
            interaction.guild_id,
            exc_info=error,
        )
        text = error_text(renderer, error, error_id)
    try:
        await refuse(interaction, text)
    except discord.HTTPException:
        log.warning("could not deliver error answer interaction=%s", interaction.id)


def speak_to(interaction: discord.Interaction) -> None:
    """Answer this interaction in its user's client language (English when untranslated)."""
    i18n.set_locale(interaction.locale.value)


class BriefTree(app_commands.CommandTree["BriefBot"]):
    """The command tree: answers in the user's language; every command's errors go
    through `handle_error`."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        speak_to(interaction)  # the command runs in this task: everything below reads it
        interaction.extras[STARTED] = time.perf_counter()
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_error(interaction, error)
        answered(interaction)


STARTED = "briefbot_started"


def answered(interaction: discord.Interaction) -> None:
    """Count a command answered (done or refused) and its time, for the metrics."""
    started = interaction.extras.get(STARTED)
    command = interaction.command
    if started is None or command is None:
        return
    bot = cast("BriefBot", interaction.client)
    seconds = time.perf_counter() - started
    bot.services.metrics.command_answered(command.qualified_name, "discord", seconds)


# --- embeds and pages -------------------------------------------------------------------


def embed_pages(renderer: Renderer, template: str, **context: Any) -> list[discord.Embed]:
    """A template's title/description/footer blocks as embeds within Discord's limits, one
    page per embed; the description splits between lines, never mid-word unmarked."""
    title = truncate(renderer.render_block(template, "title", **context), EMBED_TITLE_MAX)
    description = renderer.render_block(template, "description", **context)
    footer = renderer.render_block(template, "footer", **context)
    # Discord refuses an embed over 6,000 characters in all: a long title and footer leave
    # less room for the description of each page.
    footer_room = min(len(footer) + PAGE_SUFFIX_ROOM, EMBED_FOOTER_MAX)
    room = min(PAGE_DESCRIPTION_MAX, EMBED_TOTAL_MAX - len(title) - footer_room)
    parts = split_text(description, room)
    pages = []
    for number, part in enumerate(parts, start=1):
        page_footer = (
            footer
            if len(parts) == 1
            else _("{footer} · page {number}/{count}").format(
                footer=footer, number=number, count=len(parts)
            )
        )
        embed = discord.Embed(title=title, description=part, colour=COLOUR)
        embed.set_footer(text=truncate(page_footer, EMBED_FOOTER_MAX))
        pages.append(embed)
    return pages


class Paginator(discord.ui.View):
    """◀ ▶ buttons over embed pages; only the caller can turn them; disabled on timeout."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, timeout: float = PAGE_TIMEOUT):
        super().__init__(timeout=timeout)
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self.message: discord.Message | discord.WebhookMessage | None = None
        self.previous.label = _("◀ Previous")
        self.next.label = _("Next ▶")
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        speak_to(interaction)
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                _(
                    "Only the person who ran the command can turn these pages — run it yourself to get your own copy."
                ),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return False
        return True

    async def _show(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        await self._show(interaction, +1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.debug("could not disable pager buttons message=%s", self.message.id)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_error(interaction, error)


async def send_pages(
    interaction: discord.Interaction,
    pages: list[discord.Embed],
    *,
    ephemeral: bool = False,
    content: str | None = None,
) -> None:
    """Send the first page, with a pager when there is more than one."""
    if len(pages) == 1:
        await reply(interaction, content, embeds=pages, ephemeral=ephemeral)
        return
    view = Paginator(pages, interaction.user.id)
    view.message = await reply(
        interaction, content, embeds=[pages[0]], view=view, ephemeral=ephemeral
    )


async def send_rendered(interaction: discord.Interaction, template: str, **context: Any) -> None:
    """A template's embed pages, rendered for Discord and sent (with a pager when long)."""
    renderer = services(interaction).renderers.discord
    await send_pages(interaction, embed_pages(renderer, template, **context))


# --- autocomplete -----------------------------------------------------------------------


CHOICE_MAX = 100  # Discord's limit on an autocomplete choice's name and value
CHOICES_MAX = 25  # and on how many choices one answer holds


def fitting_choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """(name, value) pairs as autocomplete choices Discord accepts: a pair whose name or
    value is empty or over 100 characters is left out (a cut value would complete to
    something the user did not mean, and Discord refuses the whole answer otherwise)."""
    choices = [
        app_commands.Choice(name=name, value=value)
        for name, value in pairs
        if 0 < len(name) <= CHOICE_MAX and 0 < len(value) <= CHOICE_MAX
    ]
    return choices[:CHOICES_MAX]


async def topic_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Topics ranked for what the user typed (at most 25)."""
    return [
        app_commands.Choice(name=f"{t.slug} — {_(t.title)}"[:100], value=t.slug)
        for t in rank_topics(current, 25)
    ]


async def timezone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """IANA time zones matching what the user typed (prefix first), at most 25."""
    zones = listed_zones()
    q = current.strip().lower().replace(" ", "_")
    prefix = [z for z in zones if z.lower().startswith(q) or z.lower().split("/")[-1].startswith(q)]
    inner = [z for z in zones if q in z.lower() and z not in prefix]
    return [app_commands.Choice(name=z, value=z) for z in (prefix + inner)[:25]]
