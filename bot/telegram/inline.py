"""Inline mode: `@BotName japan-korea` (or 日韓, 한일) in any chat offers that topic's brief
to share; `@BotName` alone offers every topic; `@BotName ? question` offers the answer to a
question."""

from __future__ import annotations

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import InlineQueryHandler

from bot import i18n
from bot.core.briefs import compose_brief
from bot.core.topics import rank_topics, resolve_topic
from bot.domain.errors import TooSoon
from bot.i18n import gettext as _
from bot.telegram.asking import INLINE_MARK, offer_answer
from bot.telegram.common import NO_PREVIEW, Context, front, split_html, take_turn

RESULTS_MAX = 12  # every topic fits: an empty query offers them all
CACHE_SECONDS = 60


async def offer_brief(update: Update, context: Context) -> None:
    """Offer the brief of the typed topic, or of the topics that match what is typed."""
    query = update.inline_query
    assert query is not None
    typed = query.query.strip()
    question = typed[len(INLINE_MARK) :].strip() if typed.startswith(INLINE_MARK) else ""
    found = resolve_topic(typed) if typed and not question else None
    topics = [found] if found is not None else rank_topics(typed, RESULTS_MAX)
    if question or topics:
        try:
            take_turn(update, context, "ask" if question else "inline")
        except TooSoon as error:
            # No chat to answer in: the refusal is the button above the (empty) results.
            button = InlineQueryResultsButton(
                text=i18n.error_message(error), start_parameter="help"
            )
            await query.answer([], cache_time=0, is_personal=True, button=button)
            return
    if question:
        await offer_answer(update, context, question)
        return
    fe = front(context)
    results = []
    for topic in topics[:RESULTS_MAX]:
        brief = await compose_brief(fe.services.db, topic.slug, None, clock=fe.services.clock)
        # A shared message is one message: the brief's first part (items, never cut mid-tag).
        first = split_html(fe.renderer.render("brief.j2", brief=brief))[0]
        results.append(
            InlineQueryResultArticle(
                id=topic.slug,
                title=_("Brief: {title}").format(title=_(topic.title)),
                description=_(topic.description)[:100],
                input_message_content=InputTextMessageContent(
                    first, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                ),
            )
        )
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)


def handlers() -> list[InlineQueryHandler[Context, None]]:
    """This module's handlers."""
    return [InlineQueryHandler(offer_brief)]
