"""News feeds and the review queue from Telegram: /feed add|list|remove|pause|review, /queue,
and review cards with Approve / Approve + edit / Reject buttons.

A chat's feeds fill the chat's own queue, and its cards are posted in the chat itself. Only
the chat's administrators (Telegram's getChatMember, asked on every command and every press,
never cached) and TELEGRAM_EDITOR_IDS editors may use them; editors keep the global queue
(`global`), whose cards go to the chat an editor names with `/feed review global`. The feed
service checks the rights again before anything is written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import i18n
from bot.core.actors import Actor
from bot.core.feeds.notices import pause_notice
from bot.core.feeds.service import FeedService
from bot.core.rendering import Renderer, html_escape
from bot.core.scope_settings import language_of
from bot.domain.errors import InvalidInput, PermissionDenied
from bot.domain.feeds import Candidate
from bot.domain.models import Development, Source
from bot.domain.scope import Scope
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.telegram.common import (
    NO_PREVIEW,
    Context,
    actor_for,
    answer,
    callback_data,
    front,
    split_html,
    usage,
)

log = logging.getLogger(__name__)

FEED_USAGE = (
    "/feed add URL [topics=a,b] [keywords=x,y] [every=minutes] [global] · /feed list [global]"
    " · /feed remove ID · /feed pause ID [resume] · /feed review global"
)
QUEUE_USAGE = "/queue [global]"
QUEUE_SHOWN = 25
_OPTIONS = ("topics", "keywords", "every")
_CARD = re.compile(r"^feedq:(approve|edit|reject):([0-9]{1,18})$")
_BUTTONS = ((N_("Approve"), "approve"), (N_("Approve + edit"), "edit"), (N_("Reject"), "reject"))
_REVIEWERS = N_("Only this chat's administrators and the bot's editors can review candidates.")


def _feeds(context: Context) -> FeedService:
    return front(context).services.feeds


def _feed_id(text: str) -> int:
    digits = text.lstrip("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12 or int(digits) == 0:
        raise InvalidInput(
            "id", _("{text!r} is not a feed number (see /feed list)").format(text=text[:20])
        )
    return int(digits)


def _add_options(args: list[str]) -> dict[str, Any]:
    """`topics=…`, `keywords=…`, `every=…` and `global` after the URL."""
    found: dict[str, Any] = {"scope": None}
    for arg in args:
        name, _, value = arg.partition("=")
        if arg.lower() == "global":
            found["scope"] = "global"
        elif name.lower() in _OPTIONS and value:
            found[name.lower()] = value
        else:
            raise usage(FEED_USAGE)
    if "every" in found:
        if not found["every"].isdigit():
            raise InvalidInput("every", _("must be a number of minutes, e.g. every=30"))
        found["every"] = int(found["every"])
    return found


def _queue_of(actor: Actor, wants_global: bool) -> Scope | None:
    """The queue a reader asks about: the global one (editors) or this chat's (its
    administrators)."""
    if wants_global or (not actor.is_moderator and actor.is_editor):
        if not actor.is_editor:
            raise PermissionDenied(_("Only editors of the bot can see the global queue."))
        return None
    if not actor.is_moderator or actor.scope is None:
        raise PermissionDenied(
            _("Only this chat's administrators and the bot's editors can see its feeds and queue.")
        )
    return actor.scope


# --- /feed and /queue --------------------------------------------------------------------


async def feed(update: Update, context: Context) -> None:
    """/feed add|list|remove|pause|review …"""
    args = list(context.args or [])
    if not args:
        raise usage(FEED_USAGE)
    action = args.pop(0).lower()
    if action == "add" and args:
        await _add(update, context, args[0], _add_options(args[1:]))
    elif action == "list" and args in ([], ["global"]):
        actor = await actor_for(update, context)
        queue = _queue_of(actor, args == ["global"])
        heading = _("Feeds of the global queue") if queue is None else _("Feeds of this chat")
        found = await _feeds(context).list_feeds(queue)
        await answer(
            update,
            context,
            front(context).renderer.render("feeds.j2", feeds=found, heading=heading),
        )
    elif action in ("remove", "pause") and 1 <= len(args) <= 2:
        await _change(update, context, action, _feed_id(args[0]), args[1:])
    elif action == "review" and args in ([], ["global"]):
        await _review_here(update, context, args == ["global"])
    else:
        raise usage(FEED_USAGE)


async def _add(update: Update, context: Context, url: str, options: dict[str, Any]) -> None:
    actor = await actor_for(update, context)
    feeds = _feeds(context)
    added = await feeds.add_feed(
        actor,
        url,
        topics=options.get("topics"),
        keywords=options.get("keywords"),
        scope=options["scope"],
        every_minutes=options.get("every"),
    )
    r = added.report
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(r.skipped.items()))
    where = await feeds.review_channel(added.feed.scope)
    which = _("the global queue") if added.feed.scope is None else _("this chat's queue")
    counts = {
        "id": added.feed.id,
        "title": html_escape(added.feed.title),
        "which": which,
        "items": r.items,
        "new": len(r.new),
        "merged": r.merged,
        "skipped": html_escape(skipped),
    }
    sentences = [
        (
            _(
                "Added feed <b>#{id}</b> · {title} to {which}: {items} items, {new} new "
                "candidates, {merged} merged into queued ones; skipped {skipped}."
            )
            if skipped
            else _(
                "Added feed <b>#{id}</b> · {title} to {which}: {items} items, {new} new "
                "candidates, {merged} merged into queued ones."
            )
        ).format(**counts),
        _("It is read every {minutes} minutes.").format(minutes=added.feed.interval_s // 60),
    ]
    if not where:
        sentences.append(_("Send /feed review global in the chat where its cards should go."))
    await answer(update, context, " ".join(sentences))
    await post_cards(context.bot, feeds, front(context).renderer, r.merged_into)


async def _change(
    update: Update, context: Context, action: str, feed_id: int, rest: list[str]
) -> None:
    actor = await actor_for(update, context)
    feeds = _feeds(context)
    if action == "remove":
        if rest:
            raise usage(FEED_USAGE)
        gone = await feeds.remove_feed(actor, feed_id)
        text = _("Removed feed #{id} · {value}; its queued candidates stay.").format(
            id=gone.id, value=html_escape(gone.title)
        )
    else:
        if rest not in ([], ["resume"]):
            raise usage(FEED_USAGE)
        changed = await feeds.pause_feed(actor, feed_id, paused=not rest)
        text = (
            _("Feed #{id} · {title} resumed: it is read at the next sweep.")
            if rest
            else _("Feed #{id} · {title} paused.")
        ).format(id=changed.id, title=html_escape(changed.title))
    await answer(update, context, text)


async def _review_here(update: Update, context: Context, wants_global: bool) -> None:
    """Send a queue's cards to this chat (the global queue: editors only)."""
    actor = await actor_for(update, context)
    if actor.scope is None:
        raise InvalidInput("where", _("use this in a chat with the bot"))
    feeds = _feeds(context)
    queue = await feeds.set_review_channel(
        actor, "telegram", actor.scope.id, "global" if wants_global else None
    )
    which = _("the global queue") if queue is None else _("this chat's queue")
    await answer(
        update, context, _("Review cards of {which} are posted in this chat.").format(which=which)
    )
    await post_cards(context.bot, feeds, front(context).renderer)


async def queue(update: Update, context: Context) -> None:
    """/queue [global]: the candidates waiting for review, oldest first."""
    args = [a.lower() for a in context.args or []]
    if args not in ([], ["global"]):
        raise usage(QUEUE_USAGE)
    actor = await actor_for(update, context)
    which = _queue_of(actor, bool(args))
    feeds = _feeds(context)
    waiting = await feeds.queue(which, limit=QUEUE_SHOWN)
    total = await feeds.pending_count(which)
    heading = _("Global review queue") if which is None else _("This chat's review queue")
    text = front(context).renderer.render(
        "queue.j2", candidates=waiting, total=total, heading=heading
    )
    await answer(update, context, text)


# --- review cards ------------------------------------------------------------------------


CARD_SOURCES = 8  # sources listed on a card; the others are counted


def card_text(renderer: Renderer, c: Candidate, decision: str | None = None) -> str:
    """A candidate's card in one Telegram message, its sources always on it: when long
    links make it too long, fewer sources are listed and the rest counted (all are kept
    when approved), never silently dropped by a cut."""
    sources = [
        Source(title=s.title, publisher=s.publisher, url=s.link, published_on=s.published_on)
        for s in c.sources
    ]
    shown = min(CARD_SOURCES, len(sources))
    while True:
        text = renderer.render("candidate.j2", c=c, sources=sources, shown=shown, decision=decision)
        parts = split_html(text)
        if len(parts) == 1 or shown <= 1:
            return parts[0]
        shown -= 1


def card_keyboard(candidate_id: int) -> InlineKeyboardMarkup:
    """Approve / Approve + edit / Reject, each naming the candidate (so the buttons keep
    working after a restart)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _(label), callback_data=callback_data("feedq", action, candidate_id)
                )
                for label, action in _BUTTONS
            ]
        ]
    )


async def post_cards(
    bot: Bot, feeds: FeedService, renderer: Renderer, merged: list[int] | None = None
) -> int:
    """Post a card for every pending candidate of a Telegram-reviewed queue without one, and
    show new sources on the cards of `merged` candidates; returns how many were posted."""
    for c in await feeds.cards_to_refresh("telegram", merged or []):
        with i18n.use_locale(await language_of(feeds.db, c.scope)):
            text = card_text(renderer, c)  # a post to the chat: in the chat's language
            keyboard = card_keyboard(c.id)
        try:
            await bot.edit_message_text(
                text,
                chat_id=c.card_channel_id,
                message_id=c.card_message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard,
            )
        except TelegramError as exc:
            log.warning("could not update review card candidate=%s error=%s", c.id, exc)
    posted = 0
    for chat_id, c in await feeds.cards_to_post("telegram"):
        with i18n.use_locale(await language_of(feeds.db, c.scope)):
            text = card_text(renderer, c)
            keyboard = card_keyboard(c.id)
        try:
            message = await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard,
            )
        except TelegramError as exc:  # the bot left the chat, or cannot post there
            log.warning("review card not posted chat=%s candidate=%s error=%s", chat_id, c.id, exc)
            continue
        await feeds.card_posted(c.id, chat_id, message.message_id)
        posted += 1
    await announce_pauses(bot, feeds)
    return posted


async def announce_pauses(bot: Bot, feeds: FeedService) -> None:
    """Tell a Telegram-reviewed queue's chat that the bot paused one of its feeds (410 Gone,
    failing for a day), once: a source must not stop silently."""
    for chat_id, feed in await feeds.pauses_to_announce("telegram"):
        if not await feeds.claim_pause_notice(feed.id):
            continue
        with i18n.use_locale(await language_of(feeds.db, feed.scope)):
            text = pause_notice(feed, f"/feed pause {feed.id} resume", html_escape)
        try:
            await bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
        except TelegramError as exc:
            log.warning("feed pause not announced chat=%s feed=%s error=%s", chat_id, feed.id, exc)
            await feeds.pause_notice_failed(feed.id)


async def review_pressed(update: Update, context: Context) -> None:
    """A card's button: the presser must administer this chat or be an editor."""
    query = update.callback_query
    assert query is not None
    match = _CARD.match(query.data or "")
    if match is None:
        raise InvalidInput("button", _("this button is not from a review card"))
    action, candidate_id = match[1], int(match[2])
    actor = await actor_for(update, context)
    if not (actor.is_moderator or actor.is_editor):
        raise PermissionDenied(_(_REVIEWERS))
    feeds = _feeds(context)
    if action == "reject":
        decided = await feeds.reject(actor, candidate_id)
        decision = _("Rejected by {name}").format(name=actor.name)
        note = _("Rejected candidate #{candidate_id}; it will not return.").format(
            candidate_id=candidate_id
        )
    else:
        dev = await feeds.approve(actor, candidate_id)
        decided = await feeds.candidate(candidate_id, actor.scope)
        decision = _("Approved by {name} as #{id}").format(name=actor.name, id=dev.id)
        note = _("Approved: development #{id}.").format(id=dev.id)
    await query.answer(note)
    await query.edit_message_text(
        card_text(front(context).renderer, decided, decision),
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
        reply_markup=None,
    )
    if action == "edit":
        await answer(update, context, edit_prompt(dev))


def edit_prompt(dev: Development) -> str:
    """The /edit commands of a just-approved development, prefilled with its values: copy
    one, change the value, send it."""
    values = {
        "title": dev.title,
        "date": dev.occurred.iso(),
        "summary": dev.summary,
        "countries": " ".join(dev.countries),
        "domain": dev.domain,
        "importance": str(dev.importance),
    }
    lines = "\n".join(
        f"<code>/edit {dev.id} {field} {html_escape(value)}</code>"
        for field, value in values.items()
    )
    return _(
        "Approved as <code>#{id}</code>. To change a field, send its line with the new value (tap to copy):\n{lines}"
    ).format(id=dev.id, lines=lines)


def handlers() -> list[BaseHandler[Update, Context, Any]]:
    """This module's handlers."""
    return [
        CommandHandler("feed", feed),
        CommandHandler("queue", queue),
        CallbackQueryHandler(review_pressed, pattern=r"^feedq:"),
    ]
