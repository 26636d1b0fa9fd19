"""/subscribe, /unsubscribe, /subscriptions and /digest: scheduled digests per channel.

The cog: commands, and Discord's events that pause a subscription (channel or thread deleted,
bot removed). The transport adapter the delivery engine posts through is
`bot.discord.exts._digest_poster`. The scheduler starts in `cog_load` and catches up once the bot is
ready.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import i18n
from bot.core.digests.building import DigestBuilder, compose_digest, scope_language
from bot.core.digests.delivery import Outcome
from bot.core.digests.parts import render_parts
from bot.core.digests.schedule import WEEKDAYS, plan_now
from bot.core.rendering import Safe
from bot.core.subscriptions import Subscription, SubscriptionService
from bot.core.topics import get_topic, rank_topics
from bot.discord.exts._common import (
    defer,
    embed_pages,
    fitting_choices,
    reply,
    require_moderator,
    send_pages,
    services,
    timezone_autocomplete,
)
from bot.discord.exts._digest_poster import DiscordPoster
from bot.domain.clock import iso_utc
from bot.domain.errors import InvalidInput
from bot.domain.models import DOMAINS
from bot.domain.scope import PLATFORM_NAMES, Scope
from bot.i18n import gettext as _
from bot.i18n import ngettext

if TYPE_CHECKING:
    from bot.discord.client import BriefBot

log = logging.getLogger(__name__)

CADENCES = [
    app_commands.Choice(name="weekly (default)", value="weekly"),
    app_commands.Choice(name="daily", value="daily"),
]
POSTABLE = (discord.TextChannel, discord.Thread, discord.VoiceChannel, discord.ForumChannel)


def missing_permissions(
    target: discord.abc.GuildChannel | discord.Thread, me: discord.Member
) -> list[str]:
    """The permissions delivery needs in `target` that the bot lacks, by their Discord names.
    Read Message History is needed to find a part already posted when a delivery resumes."""
    perms = target.permissions_for(me)
    needed = [("view_channel", "View Channel")]
    if not isinstance(target, discord.Thread):
        needed.append(("send_messages", "Send Messages"))  # in a forum: create posts
    if isinstance(target, discord.Thread | discord.ForumChannel):
        needed.append(("send_messages_in_threads", "Send Messages in Threads"))
    needed.append(("read_message_history", "Read Message History"))
    return [name for flag, name in needed if not getattr(perms, flag)]


def _ts(moment: datetime, style: str) -> Safe:
    return Safe(f"<t:{int(moment.timestamp())}:{style}>")


def _local_label(sub: Subscription, moment: datetime) -> str:
    local = sub.schedule.local(moment)
    return i18n.local_moment(local, sub.schedule.timezone)


async def topics_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Completes the last of several comma-separated topics."""
    head, _, last = current.rpartition(",")
    chosen = [p.strip() for p in head.split(",") if p.strip()]
    prefix = ", ".join(chosen)
    values = []
    for topic in rank_topics(last, 25):
        if topic.slug in chosen:
            continue
        values.append(f"{prefix}, {topic.slug}" if prefix else topic.slug)
    return fitting_choices((v, v) for v in values)


async def domains_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Completes the last of several comma-separated domains (or `all`)."""
    head, _, last = current.rpartition(",")
    chosen = [p.strip() for p in head.split(",") if p.strip()]
    prefix = ", ".join(chosen)
    values = [] if chosen else ["all"]
    values += [
        f"{prefix}, {d}" if prefix else d
        for d in DOMAINS
        if d not in chosen and d.startswith(last.strip().lower())
    ]
    return fitting_choices((v, v) for v in values)


async def weekday_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Weekday names."""
    text = current.strip().lower()
    return [
        app_commands.Choice(name=day.title(), value=day)
        for day in WEEKDAYS
        if day.startswith(text) or not text
    ]


class Digests(commands.Cog):
    """Digest subscriptions and their delivery."""

    digest = app_commands.Group(
        name="digest",
        description="Preview or send a channel's digest (moderators)",
        guild_only=True,
    )

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self._tasks: set[asyncio.Task[Any]] = set()

    async def cog_load(self) -> None:
        svc = self.bot.services
        self.subscriptions = SubscriptionService(svc.db, svc.clock, svc.settings.default_timezone)
        # The process's one engine and scheduler, shared with the other front ends.
        svc.digests.register(
            "discord", DiscordPoster(self.bot), DigestBuilder(svc.db, svc.renderers.discord)
        )
        self.engine = svc.digests.engine
        self.scheduler = svc.digests.scheduler
        await svc.digests.start("discord")
        task = asyncio.create_task(self._catch_up())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _catch_up(self) -> None:
        await self.bot.wait_until_ready()
        try:
            outcomes = await self.scheduler.catch_up()
        except Exception:
            log.exception("digest catch-up failed; the sweep will retry")
            return
        if outcomes:
            log.info(
                "digest catch-up at start: %s", [(o.subscription_id, o.kind) for o in outcomes]
            )

    async def cog_unload(self) -> None:
        # Stop sending (the parts in flight finish), then give up the lead; the HTTP session
        # closes only after the cogs are unloaded.
        await self.bot.services.digests.stop("discord")
        for task in list(self._tasks):
            task.cancel()

    # --- Discord telling us a channel is gone: pause before any request fails ---------------

    async def _refresh_paused(self, subs: list[Subscription], reason: str) -> None:
        for sub in subs:
            await self.scheduler.refresh(sub.id)
            log.warning("digest subscription paused subscription=%s: %s", sub.id, reason)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        reason = _("The channel was deleted.")
        sub = await self.subscriptions.pause_channel(channel.id, reason)
        if sub is not None:
            await self._refresh_paused([sub], reason)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        # The raw event: a thread that is not in the cache (archived, or never seen since
        # the start) is deleted too.
        reason = _("The thread was deleted.")
        sub = await self.subscriptions.pause_channel(payload.thread_id, reason)
        if sub is not None:
            await self._refresh_paused([sub], reason)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        reason = _("The bot was removed from this server.")
        subs = await self.subscriptions.pause_scope(Scope.discord(guild.id), reason)
        await self._refresh_paused(subs, reason)

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _channel(
        interaction: discord.Interaction, channel: discord.abc.GuildChannel | None
    ) -> discord.abc.GuildChannel | discord.Thread:
        target = channel or interaction.channel
        if not isinstance(target, POSTABLE):
            raise InvalidInput("channel", _("pick a text channel of this server"))
        return target

    async def _subscription_of(
        self, interaction: discord.Interaction, channel: discord.abc.GuildChannel | None
    ) -> tuple[discord.abc.GuildChannel | discord.Thread, Subscription]:
        """Defer privately (within 3 s, before any DB work), check the caller is a
        moderator, and find the subscription of `channel` (default: this one)."""
        await defer(interaction, ephemeral=True)
        actor = await require_moderator(interaction)
        target = self._channel(interaction, channel)
        return target, await self.subscriptions.for_channel(actor, actor.scope, target.id)

    # --- commands --------------------------------------------------------------------------

    @app_commands.command(name="subscribe", description="Post digests in a channel (moderators)")
    @app_commands.describe(
        channel="Where to post: a text channel, or a forum (a new post per digest)",
        topics="Comma-separated topics (default: trilateral and the three pairs)",
        cadence="weekly (default) or daily",
        weekday="Day of a weekly digest (default Monday)",
        time="Local time, 24-hour HH:MM (default 09:00)",
        timezone="IANA time zone, e.g. Asia/Seoul (default: the server's, else UTC)",
        post_empty="Post a short note when nothing is new (default: skip)",
        include="Keep only developments mentioning one of these words, e.g. chips, semiconductors",
        exclude="Leave out developments mentioning any of these words, e.g. tourism",
        domains="Only these domains, comma-separated, e.g. security, economy (default: all)",
    )
    @app_commands.choices(cadence=CADENCES)
    @app_commands.autocomplete(
        topics=topics_autocomplete,
        weekday=weekday_autocomplete,
        timezone=timezone_autocomplete,
        domains=domains_autocomplete,
    )
    @app_commands.guild_only()
    async def subscribe(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
        topics: str | None = None,
        cadence: str | None = None,
        weekday: str | None = None,
        time: str | None = None,
        timezone: str | None = None,
        post_empty: bool = False,
        include: app_commands.Range[str, 1, 400] | None = None,
        exclude: app_commands.Range[str, 1, 400] | None = None,
        domains: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await defer(interaction, ephemeral=True)  # answer within 3 s, before any DB work
        actor = await require_moderator(interaction)
        target = self._channel(interaction, channel)
        guild = interaction.guild
        if guild is not None:
            missing = missing_permissions(target, guild.me)
            if missing:
                raise InvalidInput(
                    "channel",
                    _(
                        "the bot cannot deliver digests in #{name}: give it {permissions} there first"
                    ).format(name=target.name, permissions=" and ".join(missing)),
                )
        before = await self.subscriptions.of_channel(target.id)
        result = await self.subscriptions.subscribe(
            actor,
            actor.scope,
            target.id,
            topics=topics,
            cadence=cadence,
            weekday=weekday,
            at=time,
            timezone=timezone,
            post_empty=post_empty,
            include=include,
            exclude=exclude,
            domains=domains,
        )
        await self.scheduler.refresh(result.subscription.id)
        sub = result.subscription
        text = services(interaction).renderers.discord.render(
            "subscribed.j2",
            channel=Safe(f"<#{target.id}>"),
            replaced=result.replaced,
            resumed=before is not None and not before.active,
            sub=sub,
            topics=[i18n.gettext(get_topic(t).title) for t in sub.topics],
            next_local=_local_label(sub, result.next_delivery.at),
            next_utc=iso_utc(result.next_delivery.at),
            next_relative=_ts(result.next_delivery.at, "R"),
        )
        await reply(interaction, text, ephemeral=True)

    @app_commands.command(name="unsubscribe", description="Stop a channel's digests (moderators)")
    @app_commands.describe(channel="Which channel (default: this channel)")
    @app_commands.guild_only()
    async def unsubscribe(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        await defer(interaction, ephemeral=True)  # answer within 3 s, before any DB work
        actor = await require_moderator(interaction)
        target = self._channel(interaction, channel)
        sub = await self.subscriptions.unsubscribe(actor, actor.scope, target.id)
        await self.scheduler.refresh(sub.id)
        await reply(
            interaction,
            _("<#{id}> no longer gets digests. /subscribe starts them again.").format(id=target.id),
            ephemeral=True,
        )

    @app_commands.command(
        name="subscriptions", description="This server's digest subscriptions (moderators)"
    )
    @app_commands.guild_only()
    async def list_subscriptions(self, interaction: discord.Interaction) -> None:
        await defer(interaction, ephemeral=True)  # answer within 3 s, before any DB work
        actor = await require_moderator(interaction)
        subs = await self.subscriptions.list(actor, actor.scope)
        rows = []
        for sub in subs:
            rows.append(
                {
                    "channel": Safe(f"<#{sub.channel_id}>"),
                    "schedule": i18n.describe_schedule(sub.schedule),
                    "topics": list(sub.topics),
                    "post_empty": sub.post_empty,
                    "filter": sub.digest_filter,
                    "paused": not sub.active,
                    "paused_reason": sub.paused_reason or "",
                    "next_local": _local_label(sub, sub.next_run) if sub.next_run else "—",
                    "next_utc": iso_utc(sub.next_run) if sub.next_run else None,
                    "last_period": sub.last_period,
                    "last_at": sub.last_delivered_at,
                    "last_error": sub.last_error,
                    "waiting_for": PLATFORM_NAMES.get(sub.waiting_for or "", ""),
                }
            )
        pages = embed_pages(services(interaction).renderers.discord, "subscriptions.j2", rows=rows)
        await send_pages(interaction, pages, ephemeral=True)

    @digest.command(name="preview", description="The digest a channel would get now, only to you")
    @app_commands.describe(channel="Which channel (default: this channel)")
    async def preview(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        _, sub = await self._subscription_of(interaction, channel)
        svc = services(interaction)
        plan = plan_now(
            sub.schedule,
            next_run=sub.next_run or svc.clock(),
            covered_until=sub.covered_until,
            now=svc.clock(),
        )
        # In the server's language, not the asker's: a preview is what the channel will get.
        with i18n.use_locale(await scope_language(svc.db, sub)):
            digest = await compose_digest(svc.db, sub, plan)
            parts = render_parts(svc.renderers.discord, digest)
        for part in parts:
            await reply(interaction, part, ephemeral=True)

    @digest.command(
        name="send-now", description="Deliver the current period's digest now (moderators)"
    )
    @app_commands.describe(channel="Which channel (default: this channel)")
    async def send_now(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel | None = None,
    ) -> None:
        target, sub = await self._subscription_of(interaction, channel)
        outcome = await self.engine.send_now(sub.id)
        await self.scheduler.refresh(sub.id)
        await reply(interaction, _send_now_text(target.id, outcome), ephemeral=True)


def _send_now_text(channel_id: int, outcome: Outcome) -> str:
    where = f"<#{channel_id}>"
    texts = {
        "sent": ngettext(
            "Posted the digest for {period} in {where} ({value} message). It counts as that period's delivery.",
            "Posted the digest for {period} in {where} ({value} messages). It counts as that period's delivery.",
            len(outcome.message_ids),
        ).format(period=outcome.period, where=where, value=len(outcome.message_ids)),
        "skipped": _(
            "Nothing new for {period}, and {where} skips empty digests; the period is recorded as delivered."
        ).format(period=outcome.period, where=where),
        "already": _("The digest for {period} was already delivered in {where}.").format(
            period=outcome.period, where=where
        ),
        "busy": _("The digest for {period} is being delivered right now.").format(
            period=outcome.period
        ),
        "paused": _("The subscription of {where} is paused: {detail}").format(
            where=where, detail=outcome.detail
        ),
        "retry-later": _(
            "Discord is failing right now; the digest will be retried. ({detail})"
        ).format(detail=outcome.detail),
        "failed": _("The digest could not be delivered: {detail}").format(detail=outcome.detail),
        "missing": _("{where} has no subscription any more.").format(where=where),
        "not-due": _("Nothing to send."),
        "superseded": _(
            "Another bot process took over the digest of {where}; it finishes it."
        ).format(where=where),
        "standby": _("Another bot process delivers the digests; it will post in {where}.").format(
            where=where
        ),
    }
    return texts[outcome.kind]


async def setup(bot: BriefBot) -> None:
    """Load the extension."""
    await bot.add_cog(Digests(bot))
