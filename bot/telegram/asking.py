"""/ask on Telegram, and inline `@BotName ? question`: an answer quoted from the catalogue."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot import i18n
from bot.core.ask.service import check_question, question_language
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.telegram.common import (
    NO_PREVIEW,
    Context,
    answer,
    chat_scope,
    front,
    split_html,
    take_turn,
    usage,
)

ASK_USAGE = N_("/ask question — e.g. /ask Did Japan lift the export controls on Korea?")
INLINE_MARK = "?"


def _speak_in(question: str) -> None:
    """A question written in Japanese or Korean is answered in that language."""
    language = question_language(question)
    if language is not None:
        i18n.set_locale(language)


async def ask(update: Update, context: Context) -> None:
    """/ask question."""
    question = " ".join(context.args or [])
    if not question.strip():
        raise usage(_(ASK_USAGE))
    check_question(question)
    take_turn(update, context, "ask")
    _speak_in(question)
    fe = front(context)
    result = await fe.services.asker.ask(question, chat_scope(update))
    await answer(update, context, fe.renderer.render("ask.j2", answer=result))


async def offer_answer(update: Update, context: Context, question: str) -> None:
    """Inline `? question`: the answer as one message to share (global catalogue only:
    an inline query does not say which chat it will be sent to). The caller has counted
    it against the asker's allowance."""
    query = update.inline_query
    assert query is not None
    check_question(question)
    _speak_in(question)
    fe = front(context)
    result = await fe.services.asker.ask(question, None)
    text = split_html(fe.renderer.render("ask.j2", answer=result))[0]
    first = (
        result.lines[0].text
        if result.lines
        else _("Nothing in the catalogue answers this question.")
    )
    article = InlineQueryResultArticle(
        id="ask",
        title=_("Answer: {question}").format(question=result.question)[:100],
        description=first[:100],
        input_message_content=InputTextMessageContent(
            text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )
    await query.answer([article], cache_time=0, is_personal=False)


def handlers() -> list[CommandHandler[Context, None]]:
    """This module's handlers."""
    return [CommandHandler("ask", ask)]
