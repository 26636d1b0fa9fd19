"""Digest subscriptions from Telegram: /subscribe, /unsubscribe, /subscriptions,
/digest preview|sendnow and /settings timezone.

Each command acts on the chat it is sent in, or — from a private chat — on a channel named
first (`@channel` or its id), where the bot must be an administrator and the sender too.
Only a chat's administrators (Telegram's getChatMember, asked every time) may change it; a
private chat is its user's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import CommandHandler

from bot import i18n
from bot.core.actors import Actor
from bot.core.digests.building import compose_digest, scope_language
from bot.core.digests.schedule import WEEKDAYS, plan_now
from bot.core.rendering import html_escape
from bot.core.scope_settings import check_language
from bot.core.subscriptions import Subscription, SubscriptionService
from bot.core.topics import get_topic
from bot.domain.clock import iso_utc
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.scope import PLATFORM_NAMES, Scope
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.telegram.common import Context, actor_for, answer, front, send_html, usage
from bot.telegram.digests import render_telegram_parts

DIGEST_USAGE = N_("/digest preview|sendnow [@channel]")
SETTINGS_USAGE = N_(
    "/settings timezone Zone — e.g. /settings timezone Asia/Seoul · /settings language en|ja|ko"
)
_TIME = re.compile(r"^\d{1,2}:\d{2}$")
_TARGET = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{5,16})$")


@dataclass(frozen=True)
class Target:
    """The chat a command acts on, and who is acting there."""

    chat_id: int
    label: str
    actor: Actor


def _service(context: Context) -> SubscriptionService:
    svc = front(context).services
    return SubscriptionService(svc.db, svc.clock, svc.settings.default_timezone)


async def target_of(update: Update, context: Context, args: list[str]) -> Target:
    """This chat, or the channel named by `args[0]` (removed) when asked in private."""
    chat = update.effective_chat
    assert chat is not None
    if args and _TARGET.match(args[0]):
        if chat.type != ChatType.PRIVATE:
            raise InvalidInput("channel", _("name a channel only in a private chat with the bot"))
        return await _channel_target(update, context, args.pop(0))
    actor = await actor_for(update, context)
    label = _("this chat") if chat.type != ChatType.PRIVATE else _("this private chat")
    return Target(chat.id, label, actor)


async def _channel_target(update: Update, context: Context, name: str) -> Target:
    """A channel where the bot is an administrator that may post, asked for by one of its
    administrators."""
    try:
        channel = await context.bot.get_chat(int(name) if name.lstrip("-").isdigit() else name)
        me = await context.bot.get_chat_member(channel.id, context.bot.id)
    except (BadRequest, Forbidden):
        raise NotFound(
            _("The bot cannot see {name}: add it to the channel as an administrator first.").format(
                name=name
            )
        ) from None
    if channel.type != ChatType.CHANNEL:
        raise InvalidInput(
            "channel", _("{name} is not a channel; use /subscribe inside a group").format(name=name)
        )
    if me.status != ChatMemberStatus.ADMINISTRATOR or not getattr(me, "can_post_messages", False):
        raise InvalidInput(
            "channel",
            _("make the bot an administrator of {name} that may post messages first").format(
                name=name
            ),
        )
    actor = await actor_for(update, context, Scope.telegram(channel.id))
    return Target(channel.id, channel.title or name, actor)


FILTER_KEYS = ("include", "exclude", "domains")


def parse_subscribe(args: list[str]) -> dict[str, str | None]:
    """Options in any order: daily|weekly, a weekday, HH:MM, a zone (Area/City or UTC), and
    the digest filter as `include=word,word`, `exclude=word,word`, `domains=economy,security`;
    every other word is a topic."""
    found: dict[str, str | None] = {"cadence": None, "weekday": None, "at": None, "timezone": None}
    topics = []
    for word in args:
        low = word.lower()
        key, equals, value = word.partition("=")
        if equals:
            if key.lower() not in FILTER_KEYS:
                raise InvalidInput(
                    "subscribe",
                    _("{key!r} is not an option; use include=, exclude=, domains=").format(
                        key=key[:20]
                    ),
                )
            found[key.lower()] = value
        elif low in ("daily", "weekly"):
            found["cadence"] = low
        elif any(low == d or (len(low) >= 3 and d.startswith(low)) for d in WEEKDAYS):
            found["weekday"] = low
        elif _TIME.match(low):
            found["at"] = low
        elif "/" in word or low in ("utc", "gmt"):
            found["timezone"] = "UTC" if low in ("utc", "gmt") else word
        else:
            topics.append(word)
    found["topics"] = ",".join(topics) or None
    return found


def _local(sub: Subscription, moment: datetime) -> str:
    local = sub.schedule.local(moment)
    return i18n.local_moment(local, sub.schedule.timezone)


async def subscribe(update: Update, context: Context) -> None:
    """/subscribe [@channel] [topics] [daily|weekly] [weekday] [HH:MM] [zone]
    [include=…] [exclude=…] [domains=…]."""
    args = list(context.args or [])
    target = await target_of(update, context, args)
    options = parse_subscribe(args)
    service = _service(context)
    before = await service.of_channel(target.chat_id)
    result = await service.subscribe(
        target.actor,
        target.actor.scope,
        target.chat_id,
        topics=options["topics"],
        cadence=options["cadence"],
        weekday=options["weekday"],
        at=options["at"],
        timezone=options["timezone"],
        include=options.get("include"),
        exclude=options.get("exclude"),
        domains=options.get("domains"),
    )
    await front(context).services.digests.scheduler.refresh(result.subscription.id)
    sub = result.subscription
    text = front(context).renderer.render(
        "subscribed.j2",
        chat=target.label,
        replaced=result.replaced,
        resumed=before is not None and not before.active,
        sub=sub,
        topics=[i18n.gettext(get_topic(t).title) for t in sub.topics],
        next_local=_local(sub, result.next_delivery.at),
        next_utc=iso_utc(result.next_delivery.at),
    )
    await answer(update, context, text)


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe [@channel]."""
    args = list(context.args or [])
    target = await target_of(update, context, args)
    if args:
        raise usage(_("/unsubscribe [@channel]"))
    sub = await _service(context).unsubscribe(target.actor, target.actor.scope, target.chat_id)
    await front(context).services.digests.scheduler.refresh(sub.id)
    text = _("No more digests for {label}. /subscribe starts them again.").format(
        label=target.label
    )
    await answer(update, context, html_escape(text))


async def subscriptions(update: Update, context: Context) -> None:
    """/subscriptions [@channel]."""
    args = list(context.args or [])
    target = await target_of(update, context, args)
    subs = [
        s
        for s in await _service(context).list(target.actor, target.actor.scope)
        if s.channel_id == target.chat_id
    ]
    rows = [
        {
            "schedule": i18n.describe_schedule(s.schedule),
            "topics": list(s.topics),
            "filter": s.digest_filter,
            "paused": not s.active,
            "paused_reason": s.paused_reason or "",
            "next_local": _local(s, s.next_run) if s.next_run else "—",
            "last_period": s.last_period,
            "last_at": s.last_delivered_at,
            "last_error": s.last_error,
            "waiting_for": PLATFORM_NAMES.get(s.waiting_for or "", ""),
        }
        for s in subs
    ]
    text = front(context).renderer.render("subscriptions.j2", chat=target.label, rows=rows)
    await answer(update, context, text)


async def digest(update: Update, context: Context) -> None:
    """/digest preview|sendnow [@channel]."""
    args = list(context.args or [])
    if not args or args[0].lower() not in ("preview", "sendnow", "send-now"):
        raise usage(_(DIGEST_USAGE))
    action = args.pop(0).lower()
    target = await target_of(update, context, args)
    sub = await _service(context).for_channel(target.actor, target.actor.scope, target.chat_id)
    fe = front(context)
    if action == "preview":
        now = fe.services.clock()
        plan = plan_now(
            sub.schedule, next_run=sub.next_run or now, covered_until=sub.covered_until, now=now
        )
        # In the chat's language, not the asker's: a preview is what the chat will get.
        with i18n.use_locale(await scope_language(fe.services.db, sub)):
            digest = await compose_digest(fe.services.db, sub, plan)
            parts = render_telegram_parts(fe.renderer, digest)
        user = update.effective_user
        assert user is not None
        for part in parts:  # only to the person who asked, in private
            await send_html(context, user.id, part)
        return
    outcome = await fe.services.digests.engine.send_now(sub.id)
    await fe.services.digests.scheduler.refresh(sub.id)
    texts = {
        "sent": ngettext(
            "Sent the digest for {period} ({value} message).",
            "Sent the digest for {period} ({value} messages).",
            len(outcome.message_ids),
        ).format(period=outcome.period, value=len(outcome.message_ids)),
        "skipped": _("Nothing new for {period}; recorded as delivered.").format(
            period=outcome.period
        ),
        "already": _("The digest for {period} was already delivered.").format(
            period=outcome.period
        ),
        "busy": _("That digest is being delivered right now."),
        "paused": _("The subscription is paused: {detail}").format(detail=outcome.detail),
        "retry-later": _(
            "Telegram is failing right now; the digest will be retried ({detail})."
        ).format(detail=outcome.detail),
        "failed": _("The digest could not be delivered: {detail}").format(detail=outcome.detail),
        "missing": _("There is no subscription any more."),
        "not-due": _("Nothing to send."),
    }
    await answer(update, context, html_escape(texts[outcome.kind]))


async def settings(update: Update, context: Context) -> None:
    """/settings timezone Zone | /settings language en|ja|ko: the chat's default zone for
    new subscriptions, and the language of its digests."""
    args = list(context.args or [])
    if len(args) != 2 or args[0].lower() not in ("timezone", "language"):
        raise usage(_(SETTINGS_USAGE))
    actor = await actor_for(update, context)
    service = front(context).services.scope_settings
    if args[0].lower() == "language":
        language = check_language(args[1])
        change = await service.update(actor, language=language)
        name = i18n.LANGUAGE_NAMES[language]
        text = (
            _("Language of this chat's digests: {language}.").format(language=name)
            if change.changed
            else _("The language was already {language}.").format(language=name)
        )
        await answer(update, context, html_escape(text))
        return
    change = await service.update(actor, timezone=args[1])
    zone = change.settings.timezone
    text = (
        _("Time zone: {zone}.").format(zone=i18n.zone_name(zone or "UTC"))
        if change.changed
        else _("The time zone was already {zone}.").format(zone=i18n.zone_name(zone or "UTC"))
    )
    await answer(update, context, html_escape(text))


def handlers() -> list[CommandHandler[Context, None]]:
    """This module's handlers."""
    return [
        CommandHandler("subscribe", subscribe),
        CommandHandler("unsubscribe", unsubscribe),
        CommandHandler("subscriptions", subscriptions),
        CommandHandler("digest", digest),
        CommandHandler("settings", settings),
    ]
