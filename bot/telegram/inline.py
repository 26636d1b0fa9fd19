"""Inline mode: `@BotName japan-korea` in any chat offers that topic's brief to share;
`@BotName ? question` offers the answer to a question."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import InlineQueryHandler

from bot.core.briefs import compose_brief
from bot.core.topics import get_topic, rank_topics
from bot.domain.errors import UnknownTopic
from bot.i18n import gettext as _
from bot.telegram.asking import INLINE_MARK, offer_answer
from bot.telegram.common import NO_PREVIEW, Context, front, split_html

RESULTS_MAX = 10
CACHE_SECONDS = 60


async def offer_brief(update: Update, context: Context) -> None:
    """Offer the brief of the typed topic, or of the topics that match what is typed."""
    query = update.inline_query
    assert query is not None
    typed = query.query.strip()
    if typed.startswith(INLINE_MARK):
        question = typed[len(INLINE_MARK) :].strip()
        if question:
            await offer_answer(update, context, question)
            return
    try:
        topics = [get_topic(typed)] if typed else []
    except UnknownTopic:
        topics = []
    if not topics:
        topics = rank_topics(typed, RESULTS_MAX) if typed else []
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
