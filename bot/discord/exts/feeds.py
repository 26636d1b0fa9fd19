"""/feed add|list|remove|pause|review-channel, /queue, and the review cards.

Cards carry Approve / Edit / Reject buttons whose custom ids hold the candidate id
(`discord.ui.DynamicItem`), so they keep working after a restart. Only the queue's owners
(the server's moderators, editors for the global queue) can press them; the feed service
checks that again before anything is written. New candidates are polled and their cards
posted by one sweep job in the bot's APScheduler.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC
from typing import TYPE_CHECKING, Any, cast

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot import i18n
from bot.core.actors import check_can_write
from bot.core.feeds.notices import pause_notice
from bot.core.rendering import Renderer, md_escape
from bot.core.scope_settings import language_of
from bot.discord.exts._common import (
    NO_PINGS,
    actor_for,
    defer,
    embed_pages,
    handle_error,
    reply,
    scope_of,
    send_pages,
    services,
)
from bot.discord.exts._forms import Form, open_form
from bot.discord.exts.development import Wizard
from bot.domain.errors import Conflict, PermissionDenied
from bot.domain.feeds import Candidate
from bot.domain.models import DevelopmentDraft, Source
from bot.domain.scope import Scope
from bot.domain.wording import N_
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

log = logging.getLogger(__name__)

SWEEP_ID = "feeds-sweep"
SWEEP_SECONDS = 60.0
QUEUE_SHOWN = 25
SCOPES = [
    app_commands.Choice(name="this server's queue", value="server"),
    app_commands.Choice(name="global queue (editors)", value="global"),
]
_REVIEWERS = N_(
    "Only moderators and editors can review candidates; members can read what is approved "
    "with /brief and /search."
)
_BUTTONS = {
    "approve": (N_("Approve"), discord.ButtonStyle.success),
    "edit": (N_("Edit"), discord.ButtonStyle.primary),
    "reject": (N_("Reject"), discord.ButtonStyle.danger),
}


def _sources(c: Candidate) -> list[Source]:
    return [
        Source(title=s.title, publisher=s.publisher, url=s.link, published_on=s.published_on)
        for s in c.sources
    ]


def card_embeds(
    renderer: Renderer, c: Candidate, decision: str | None = None
) -> list[discord.Embed]:
    """A candidate's review card (every page of it)."""
    return embed_pages(renderer, "candidate.j2", c=c, sources=_sources(c), decision=decision)


def _renderer(client: discord.Client) -> Renderer:
    return cast("BriefBot", client).services.renderers.discord


def card_view(candidate_id: int) -> discord.ui.View:
    """The three review buttons of a card."""
    view = discord.ui.View(timeout=None)
    for action in _BUTTONS:
        view.add_item(ReviewButton(action, candidate_id))
    return view


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"feedq:(?P<action>approve|edit|reject):(?P<id>[0-9]{1,18})",
):
    """Approve, Edit or Reject one candidate; works on cards posted before a restart."""

    def __init__(self, action: str, candidate_id: int) -> None:
        label, style = _BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=_(label), style=style, custom_id=f"feedq:{action}:{candidate_id}"
            )
        )
        self.action = action
        self.candidate_id = candidate_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ReviewButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            actor = await actor_for(interaction)
            if not (actor.is_moderator or actor.is_editor):
                raise PermissionDenied(_(_REVIEWERS))
            if self.action == "edit":
                await open_form(interaction, _edit_form(interaction, self.candidate_id))
            elif self.action == "approve":
                await _approve(interaction, self.candidate_id)
            else:
                await _reject(interaction, self.candidate_id)
        except Exception as exc:
            await handle_error(interaction, exc)


async def _close_card(bot: discord.Client, c: Candidate, decision: str) -> None:
    """Show the decision on the card and remove its buttons."""
    if c.card_channel_id is None or c.card_message_id is None:
        return
    channel = bot.get_channel(c.card_channel_id)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return
    try:
        await channel.get_partial_message(c.card_message_id).edit(
            embeds=card_embeds(_renderer(bot), c, decision)[:1],
            view=None,
            allowed_mentions=NO_PINGS,
        )
    except discord.HTTPException:
        log.warning("could not update review card candidate=%s", c.id)


async def _approve(interaction: discord.Interaction, candidate_id: int) -> None:
    await defer(interaction, ephemeral=True)
    feeds = services(interaction).feeds
    actor = await actor_for(interaction)
    dev = await feeds.approve(actor, candidate_id)
    c = await feeds.candidate(candidate_id, scope_of(interaction))
    await _close_card(
        interaction.client, c, _("Approved by {name} as #{id}").format(name=actor.name, id=dev.id)
    )
    await reply(
        interaction,
        _("Approved: development **#{id}**. It now appears in /brief, /search and digests.").format(
            id=dev.id
        ),
        ephemeral=True,
    )


async def _reject(interaction: discord.Interaction, candidate_id: int) -> None:
    await defer(interaction, ephemeral=True)
    feeds = services(interaction).feeds
    actor = await actor_for(interaction)
    c = await feeds.reject(actor, candidate_id)
    await _close_card(interaction.client, c, _("Rejected by {name}").format(name=actor.name))
    await reply(
        interaction,
        _("Rejected candidate #{candidate_id}; it will not return.").format(
            candidate_id=candidate_id
        ),
        ephemeral=True,
    )


async def _edit_form(interaction: discord.Interaction, candidate_id: int) -> Form:
    """The development form, both steps prefilled with the candidate; saving approves it
    as edited. Rights and the candidate's state are checked again at each step."""
    feeds = services(interaction).feeds
    c = await _pending_for_reviewer(interaction, candidate_id)

    async def save(inter: discord.Interaction, draft: DevelopmentDraft) -> None:
        await defer(inter, ephemeral=True)
        actor = await actor_for(inter)
        dev = await feeds.approve(actor, candidate_id, draft)
        decided = await feeds.candidate(candidate_id, scope_of(inter))
        await _close_card(
            inter.client,
            decided,
            _("Edited and approved by {name} as #{id}").format(name=actor.name, id=dev.id),
        )
        await reply(
            inter,
            _(
                "Approved as edited: development **#{id}**. It now appears in /brief and /search."
            ).format(id=dev.id),
            ephemeral=True,
        )

    async def check(inter: discord.Interaction) -> None:
        await _pending_for_reviewer(inter, candidate_id)

    return Wizard(
        _("Review candidate #{candidate_id}").format(candidate_id=candidate_id),
        feeds.preview(c),
        save,
        check,
    ).first_form()


async def _pending_for_reviewer(interaction: discord.Interaction, candidate_id: int) -> Candidate:
    """The candidate, if it still waits and the person may review its queue."""
    actor = await actor_for(interaction)
    if not (actor.is_moderator or actor.is_editor):
        raise PermissionDenied(_(_REVIEWERS))
    c = await services(interaction).feeds.candidate(candidate_id, actor.scope)
    check_can_write(actor, c.scope, _("review queue"))
    if c.status != "pending":
        raise Conflict(
            _("Candidate #{candidate_id} is already {status}.").format(
                candidate_id=candidate_id, status=c.status
            )
        )
    return c


class Feeds(commands.Cog):
    """News feeds and the review queue."""

    feed = app_commands.Group(
        name="feed", description="News feeds read into the review queue (moderators, editors)"
    )

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self._own_scheduler: AsyncIOScheduler | None = None

    # --- the polling job -----------------------------------------------------------------

    def _scheduler(self) -> AsyncIOScheduler:
        """The bot's one APScheduler (the digests cog starts it); our own only without it."""
        digests = self.bot.get_cog("Digests")
        shared = getattr(getattr(digests, "scheduler", None), "scheduler", None)
        if isinstance(shared, AsyncIOScheduler) and shared.running:
            return shared
        self._own_scheduler = AsyncIOScheduler(timezone=UTC)
        self._own_scheduler.start()
        return self._own_scheduler

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReviewButton)
        self._scheduler().add_job(
            self.sweep,
            IntervalTrigger(seconds=SWEEP_SECONDS, timezone=UTC),
            id=SWEEP_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    async def cog_unload(self) -> None:
        digests = self.bot.get_cog("Digests")
        shared = getattr(getattr(digests, "scheduler", None), "scheduler", None)
        if isinstance(shared, AsyncIOScheduler) and shared.get_job(SWEEP_ID):
            shared.remove_job(SWEEP_ID)
        if self._own_scheduler is not None and self._own_scheduler.running:
            self._own_scheduler.shutdown(wait=False)
        self.bot.remove_dynamic_items(ReviewButton)

    async def sweep(self) -> None:
        """Poll the due feeds, then post the cards of new candidates."""
        try:
            reports = await self.bot.services.feeds.poll_due()
            for report in reports:
                log.info("feed poll %s", report.line())
            if self.bot.is_ready():
                await self.post_cards([i for r in reports for i in r.merged_into])
        except Exception:
            log.exception("feed sweep failed; the next one retries")

    async def post_cards(self, merged: list[int] | None = None) -> int:
        """Post a card for every pending candidate without one, and show new sources on the
        cards of `merged` candidates; returns how many cards were posted."""
        feeds = self.bot.services.feeds
        for c in await feeds.cards_to_refresh("discord", merged or []):
            with i18n.use_locale(await language_of(feeds.db, c.scope)):
                await self._edit_card(c)
        posted = 0
        for channel_id, c in await feeds.cards_to_post("discord"):
            channel = self.bot.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                log.warning("review channel %s is not reachable", channel_id)
                continue
            # A card is a post to the server: in its language, not the last asker's.
            with i18n.use_locale(await language_of(feeds.db, c.scope)):
                message = await channel.send(
                    embeds=card_embeds(self.bot.services.renderers.discord, c)[:1],
                    view=card_view(c.id),
                    allowed_mentions=NO_PINGS,
                )
            await feeds.card_posted(c.id, channel_id, message.id)
            posted += 1
        await self.announce_pauses()
        return posted

    async def announce_pauses(self) -> None:
        """Tell a queue's review channel that the bot paused one of its feeds (410 Gone,
        failing for a day), once: a source must not stop silently."""
        feeds = self.bot.services.feeds
        for channel_id, feed in await feeds.pauses_to_announce("discord"):
            channel = self.bot.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                continue
            if not await feeds.claim_pause_notice(feed.id):
                continue
            with i18n.use_locale(await language_of(feeds.db, feed.scope)):
                text = pause_notice(feed, f"`/feed pause id:{feed.id} resume:True`", md_escape)
            try:
                await channel.send(text[:2000], allowed_mentions=NO_PINGS)
            except discord.HTTPException:
                log.warning("feed pause not announced channel=%s feed=%s", channel_id, feed.id)
                await feeds.pause_notice_failed(feed.id)

    async def _edit_card(self, c: Candidate) -> None:
        channel = self.bot.get_channel(c.card_channel_id or 0)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        try:
            await channel.get_partial_message(c.card_message_id or 0).edit(
                embeds=card_embeds(self.bot.services.renderers.discord, c)[:1],
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.warning("could not update review card candidate=%s", c.id)

    # --- /feed ---------------------------------------------------------------------------

    @feed.command(name="add", description="Read a news feed into the review queue")
    @app_commands.describe(
        url="The feed's address (RSS or Atom), http:// or https://",
        topics="Only stories in these topics, comma-separated (e.g. japan-korea, trilateral)",
        keywords="Only stories with one of these words, comma-separated",
        scope="This server's queue (moderators) or the global queue (editors)",
        every="Minutes between reads (5 to 1440; default 15)",
    )
    @app_commands.choices(scope=SCOPES)
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 500],
        topics: app_commands.Range[str, 1, 200] | None = None,
        keywords: app_commands.Range[str, 1, 400] | None = None,
        scope: str | None = None,
        every: int | None = None,
    ) -> None:
        await defer(interaction, ephemeral=True)
        actor = await actor_for(interaction)
        added = await services(interaction).feeds.add_feed(
            actor, url, topics=topics, keywords=keywords, scope=scope, every_minutes=every
        )
        r = added.report
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(r.skipped.items()))
        where = await services(interaction).feeds.review_channel(added.feed.scope)
        counts = {
            "id": added.feed.id,
            "title": added.feed.title,
            "items": r.items,
            "new": len(r.new),
            "merged": r.merged,
            "skipped": skipped,
        }
        sentences = [
            (
                _(
                    "Added feed **#{id}** · {title}: {items} items, {new} new candidates, "
                    "{merged} merged into queued ones; skipped {skipped}."
                )
                if skipped
                else _(
                    "Added feed **#{id}** · {title}: {items} items, {new} new candidates, "
                    "{merged} merged into queued ones."
                )
            ).format(**counts),
            _("It is read every {minutes} minutes.").format(minutes=added.feed.interval_s // 60),
        ]
        if not where:
            sentences.append(_("Set where cards go with /feed review-channel."))
        await reply(interaction, " ".join(sentences), ephemeral=True)
        await self.post_cards(r.merged_into)

    @feed.command(name="list", description="The feeds of this server's (or the global) queue")
    @app_commands.choices(scope=SCOPES)
    async def list_feeds(self, interaction: discord.Interaction, scope: str | None = None) -> None:
        await defer(interaction, ephemeral=True)
        queue = await self._queue(interaction, scope)
        found = await services(interaction).feeds.list_feeds(queue)
        heading = _("Feeds of the global queue") if queue is None else _("Feeds of this server")
        pages = embed_pages(
            services(interaction).renderers.discord, "feeds.j2", feeds=found, heading=heading
        )
        await send_pages(interaction, pages, ephemeral=True)

    @feed.command(name="remove", description="Stop reading a feed (queued candidates stay)")
    @app_commands.describe(id="The feed's number in /feed list")
    async def remove(
        self, interaction: discord.Interaction, id: app_commands.Range[int, 1]
    ) -> None:
        await defer(interaction, ephemeral=True)
        gone = await services(interaction).feeds.remove_feed(await actor_for(interaction), id)
        await reply(
            interaction,
            _("Removed feed #{id} · {title}.").format(id=gone.id, title=gone.title),
            ephemeral=True,
        )

    @feed.command(name="pause", description="Pause a feed, or resume it")
    @app_commands.describe(id="The feed's number in /feed list", resume="Resume instead")
    async def pause(
        self, interaction: discord.Interaction, id: app_commands.Range[int, 1], resume: bool = False
    ) -> None:
        await defer(interaction, ephemeral=True)
        feeds = services(interaction).feeds
        feed = await feeds.pause_feed(await actor_for(interaction), id, paused=not resume)
        text = (
            _("Feed #{id} · {title} resumed: it is read at the next sweep.")
            if resume
            else _("Feed #{id} · {title} paused.")
        )
        await reply(interaction, text.format(id=feed.id, title=feed.title), ephemeral=True)

    @feed.command(name="review-channel", description="Where review cards are posted")
    @app_commands.describe(channel="The channel for review cards", scope="Which queue")
    @app_commands.choices(scope=SCOPES)
    async def review_channel(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        scope: str | None = None,
    ) -> None:
        await defer(interaction, ephemeral=True)
        actor = await actor_for(interaction)
        queue = await services(interaction).feeds.set_review_channel(
            actor, "discord", channel.id, scope
        )
        which = _("the global queue") if queue is None else _("this server's queue")
        await reply(
            interaction,
            _("Cards of {which} go to {mention}.").format(which=which, mention=channel.mention),
            ephemeral=True,
        )
        await self.post_cards()

    # --- /queue --------------------------------------------------------------------------

    async def _queue(self, interaction: discord.Interaction, scope: str | None) -> Scope | None:
        actor = await actor_for(interaction)
        if scope == "global" or (scope is None and not actor.is_moderator and actor.is_editor):
            if not actor.is_editor:
                raise PermissionDenied(_("Only editors of the bot can see the global queue."))
            return None
        if not actor.is_moderator or actor.scope is None:
            raise PermissionDenied(
                _(
                    "Only this server's moderators (Manage Server, or the moderator role set with /settings) and editors can see the review queue."
                )
            )
        return actor.scope

    @app_commands.command(name="queue", description="Candidates waiting for review")
    @app_commands.choices(scope=SCOPES)
    async def queue(self, interaction: discord.Interaction, scope: str | None = None) -> None:
        await defer(interaction, ephemeral=True)
        queue = await self._queue(interaction, scope)
        feeds = services(interaction).feeds
        waiting = await feeds.queue(queue, limit=QUEUE_SHOWN)
        total = await feeds.pending_count(queue)
        heading = _("Global review queue") if queue is None else _("This server's review queue")
        pages = embed_pages(
            services(interaction).renderers.discord,
            "queue.j2",
            candidates=waiting,
            total=total,
            heading=heading,
        )
        await send_pages(interaction, pages, ephemeral=True)


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Feeds(bot))
