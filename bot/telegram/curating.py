"""Curating from Telegram (chat administrators and TELEGRAM_EDITOR_IDS editors): adding a
development as a conversation, /edit, /retract, /assess.

Rights come from Telegram's getChatMember on every step that writes (never cached): a
chat's administrators write that chat's developments, editors the global catalogue.
In groups the prompts ask for a reply (ForceReply), so the bot hears the answers even in
privacy mode; buttons belong to the person adding, others get an alert.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import i18n
from bot.core.actors import default_scope
from bot.core.rendering import html_escape
from bot.core.topics import get_topic
from bot.core.validation import (
    BOTTOM_LINE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    parse_development_id,
    parse_fuzzy_date,
    parse_sources_text,
    parse_trend,
    parse_watch_next,
    require_text,
    validate_development,
)
from bot.domain.models import DOMAINS, TRENDS
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.telegram.common import Context, actor_for, answer, callback_data, front, usage

TITLE, DATE, SUMMARY, SOURCES, COUNTRIES, DOMAIN, CONFIRM = range(7)
BOTTOM, TREND, WATCH = range(10, 13)
COUNTRY_CODES = ("US", "JP", "KR", "KP", "CN", "RU")
EDIT_FIELDS = (
    "title",
    "date",
    "summary",
    "sources",
    "countries",
    "domain",
    "tags",
    "importance",
    "why_it_matters",
    "kind",
)
EDIT_USAGE = N_("/edit id field value — field is one of {fields}")
RETRACT_USAGE = N_("/retract id reason — e.g. /retract 12 duplicate of #10")
ASSESS_USAGE = N_("/assess topic [global] — e.g. /assess japan-korea")
DRAFT = "draft"
ASSESSMENT = "assessment"


async def _ask(update: Update, context: Context, text: str, **kwargs: Any) -> None:
    """A prompt; in groups it asks for a reply so privacy mode still delivers the answer."""
    chat = update.effective_chat
    markup = kwargs.pop("keyboard", None)
    if markup is None and chat is not None and chat.type != "private":
        markup = ForceReply(selective=True)
    await answer(update, context, text, keyboard=markup)


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message else ""


# --- adding, step by step ----------------------------------------------------------------


async def add_start(update: Update, context: Context) -> int:
    """/add [global]: check the rights first, then ask for the title."""
    args = [a.lower() for a in context.args or []]
    scope = "global" if "global" in args else None
    actor = await actor_for(update, context)
    default_scope(actor, scope)  # refuses members before any question
    assert context.user_data is not None
    context.user_data[DRAFT] = {"scope": scope, "countries": []}
    await _ask(update, context, _("New development — <b>title</b>? (/cancel to stop)"))
    return TITLE


async def add_title(update: Update, context: Context) -> int:
    draft(context)["title"] = require_text("title", _text(update), TITLE_MAX, single_line=True)
    await _ask(update, context, _("<b>Date</b>? YYYY-MM-DD, YYYY-MM or YYYY"))
    return DATE


async def add_date(update: Update, context: Context) -> int:
    draft(context)["date"] = parse_fuzzy_date(_text(update)).iso()
    await _ask(update, context, _("<b>Summary</b>? Two or three sentences."))
    return SUMMARY


async def add_summary(update: Update, context: Context) -> int:
    draft(context)["summary"] = require_text("summary", _text(update), SUMMARY_MAX)
    await _ask(
        update,
        context,
        _("<b>Sources</b>, one per line: https://link | Publisher | Title | YYYY-MM-DD"),
    )
    return SOURCES


async def add_sources(update: Update, context: Context) -> int:
    text = _text(update)
    parse_sources_text(text)
    draft(context)["sources"] = text
    await _ask(update, context, _countries_prompt([]), keyboard=_countries_keyboard([]))
    return COUNTRIES


def _countries_prompt(chosen: list[str]) -> str:
    if not chosen:
        return _("<b>Countries</b> involved? Tap to choose, then Done.")
    return _("<b>Countries</b> involved? Tap to choose, then Done. Chosen: {value}").format(
        value=" ".join(chosen)
    )


def _countries_keyboard(chosen: list[str]) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            ("✅ " if c in chosen else "") + c, callback_data=callback_data("add", "c", c)
        )
        for c in COUNTRY_CODES
    ]
    return InlineKeyboardMarkup(
        [
            row[:3],
            row[3:],
            [InlineKeyboardButton(_("Done"), callback_data=callback_data("add", "c", "done"))],
        ]
    )


async def add_country(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen: list[str] = draft(context)["countries"]
    code = query.data.removeprefix("add:c:")
    if code == "done":
        if not chosen:
            await query.answer(_("Choose at least one country."), show_alert=True)
            return COUNTRIES
        await query.answer()
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_(d), callback_data=callback_data("add", "d", d))
                    for d in DOMAINS
                ]
            ]
        )
        await query.edit_message_text(
            _("Countries: {value}. <b>Domain</b>?").format(value=" ".join(chosen)),
            reply_markup=keyboard,
        )
        return DOMAIN
    if code in chosen:
        chosen.remove(code)
    else:
        chosen.append(code)
    await query.answer()
    await query.edit_message_text(
        _countries_prompt(chosen), reply_markup=_countries_keyboard(chosen)
    )
    return COUNTRIES


async def add_domain(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    values = draft(context)
    values["domain"] = query.data.removeprefix("add:d:")
    checked = validate_development(_raw(values))
    await query.answer()
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Publish"), callback_data=callback_data("add", "ok")),
                InlineKeyboardButton(_("Cancel"), callback_data=callback_data("add", "no")),
            ]
        ]
    )
    where = _("the global catalogue") if values["scope"] == "global" else _("this chat")
    summary = ngettext(
        "Publish to {where}?\n<b>{value}</b> · {value2} · {value3} · {domain} · {value4} source",
        "Publish to {where}?\n<b>{value}</b> · {value2} · {value3} · {domain} · {value4} sources",
        len(checked.sources),
    ).format(
        where=where,
        value=html_escape(checked.title),
        value2=i18n.date_label(checked.occurred),
        value3=" ".join(checked.countries),
        domain=_(checked.domain),
        value4=len(checked.sources),
    )
    await query.edit_message_text(summary, reply_markup=keyboard)
    return CONFIRM


async def add_confirm(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    values = draft(context)
    if query.data == "add:no":
        await query.answer()
        await query.edit_message_text(_("Cancelled; nothing was saved."))
        return _end(context)
    # Rights again at the moment of writing: an administrator may have been demoted.
    actor = await actor_for(update, context)
    dev = await front(context).services.catalogue.add(
        actor, validate_development(_raw(values)), values["scope"]
    )
    await query.answer()
    await query.edit_message_text(
        _("Published <code>#{id}</code> · {value}. /development {id} shows it.").format(
            id=dev.id, value=html_escape(dev.title)
        )
    )
    return _end(context)


async def cancel(update: Update, context: Context) -> int:
    """/cancel: leave the conversation, saving nothing."""
    await answer(update, context, _("Cancelled; nothing was saved."))
    return _end(context)


async def not_yours(update: Update, context: Context) -> None:
    """Someone else's buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer(
        _("Only the person who started this can press its buttons."), show_alert=True
    )


def draft(context: Context) -> dict[str, Any]:
    """The values collected so far."""
    assert context.user_data is not None
    values: dict[str, Any] = context.user_data[DRAFT]
    return values


def _raw(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": values["title"],
        "date": values["date"],
        "summary": values["summary"],
        "sources": values["sources"],
        "countries": " ".join(values["countries"]),
        "domain": values["domain"],
    }


def _end(context: Context) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(ASSESSMENT, None)
    return ConversationHandler.END


# --- /edit, /retract ---------------------------------------------------------------------


async def edit(update: Update, context: Context) -> None:
    """/edit id field value: one field replaced, a revision recorded."""
    args = list(context.args or [])
    if len(args) < 3 or args[1].lower() not in EDIT_FIELDS:
        raise usage(_(EDIT_USAGE).format(fields=", ".join(EDIT_FIELDS)))
    dev_id = parse_development_id(args[0].lstrip("#"))
    field = args[1].lower()
    message = update.effective_message
    assert message is not None and message.text is not None
    # The value keeps its own spacing and lines (sources are one per line).
    value = message.text.split(None, 3)[3] if len(message.text.split(None, 3)) > 3 else ""
    actor = await actor_for(update, context)
    catalogue = front(context).services.catalogue
    before = await catalogue.show(dev_id, actor.scope)
    raw = before.to_dict()
    raw[field] = value
    result = await catalogue.edit(actor, dev_id, validate_development(raw))
    await answer(
        update,
        context,
        _("Updated <code>#{dev_id}</code> ({value}). /history {dev_id} shows the change.").format(
            dev_id=dev_id, value=html_escape(field)
        )
        if result.changes
        else _("Nothing changed."),
    )


async def retract(update: Update, context: Context) -> None:
    """/retract id reason."""
    args = list(context.args or [])
    if len(args) < 2:
        raise usage(_(RETRACT_USAGE))
    dev_id = parse_development_id(args[0].lstrip("#"))
    actor = await actor_for(update, context)
    dev = await front(context).services.catalogue.retract(actor, dev_id, " ".join(args[1:]))
    await answer(
        update,
        context,
        _(
            "Retracted <code>#{id}</code>: it no longer shows in briefs, search or digests; its history is kept."
        ).format(id=dev.id),
    )


# --- /assess, step by step ---------------------------------------------------------------


async def assess_start(update: Update, context: Context) -> int:
    """/assess topic [global]: bottom line, trend (buttons), what to watch."""
    args = [a.lower() for a in context.args or []]
    if not args or len(args) > 2 or (len(args) == 2 and args[1] != "global"):
        raise usage(_(ASSESS_USAGE))
    slug = get_topic(args[0]).slug
    scope = "global" if len(args) == 2 else None
    default_scope(await actor_for(update, context), scope)
    assert context.user_data is not None
    context.user_data[ASSESSMENT] = {"topic": slug, "scope": scope}
    await _ask(
        update,
        context,
        _("Assessment of <b>{slug}</b> — the <b>bottom line</b>?").format(slug=slug),
    )
    return BOTTOM


async def assess_bottom(update: Update, context: Context) -> int:
    values = _assessment(context)
    values["bottom_line"] = require_text(_("bottom line"), _text(update), BOTTOM_LINE_MAX)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_(t), callback_data=callback_data("assess", t)) for t in TRENDS]]
    )
    await _ask(update, context, "<b>Trend</b>?", keyboard=keyboard)
    return TREND


async def assess_trend(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    _assessment(context)["trend"] = parse_trend(query.data.removeprefix("assess:"))
    await query.answer()
    await query.edit_message_text(
        _("Trend: {value}.").format(value=html_escape(_(query.data.removeprefix("assess:"))))
    )
    await _ask(
        update, context, _("<b>What to watch</b> next? Up to 5, one per line (or - for none).")
    )
    return WATCH


async def assess_watch(update: Update, context: Context) -> int:
    values = _assessment(context)
    text = _text(update)
    watch = parse_watch_next("" if text.strip() == "-" else text)
    actor = await actor_for(update, context)
    saved = await front(context).services.catalogue.set_assessment(
        actor, values["topic"], values["bottom_line"], values["trend"], watch, values["scope"]
    )
    await answer(
        update,
        context,
        (
            _("Assessment of <b>{topic}</b> set globally: {trend}. /brief {topic} shows it now.")
            if saved.scope is None
            else _(
                "Assessment of <b>{topic}</b> set for this chat: {trend}. /brief {topic} shows it now."
            )
        ).format(topic=saved.topic, trend=_(saved.trend)),
    )
    return _end(context)


def _assessment(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    values: dict[str, Any] = context.user_data[ASSESSMENT]
    return values


def handlers() -> list[BaseHandler[Update, Context, Any]]:
    """This module's handlers: the conversations first, then the one-shot commands."""
    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # PTB warns that buttons are tracked per (chat, user), not per message: that is the
        # intent — a conversation's buttons belong to the person having it.
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return [
            *_conversations(text),
            CallbackQueryHandler(not_yours, pattern=r"^(add|assess):"),
            CommandHandler("edit", edit),
            CommandHandler("retract", retract),
        ]


def _conversations(text: filters.BaseFilter) -> list[BaseHandler[Update, Context, Any]]:
    adding = ConversationHandler(
        entry_points=[CommandHandler("add", add_start)],
        states={
            TITLE: [MessageHandler(text, add_title)],
            DATE: [MessageHandler(text, add_date)],
            SUMMARY: [MessageHandler(text, add_summary)],
            SOURCES: [MessageHandler(text, add_sources)],
            COUNTRIES: [CallbackQueryHandler(add_country, pattern=r"^add:c:")],
            DOMAIN: [CallbackQueryHandler(add_domain, pattern=r"^add:d:")],
            CONFIRM: [CallbackQueryHandler(add_confirm, pattern=r"^add:(ok|no)$")],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        name="add",
        # Kept in the database: a process taking over polling carries the conversation on.
        persistent=True,
        conversation_timeout=None,
    )
    assessing = ConversationHandler(
        entry_points=[CommandHandler("assess", assess_start)],
        states={
            BOTTOM: [MessageHandler(text, assess_bottom)],
            TREND: [CallbackQueryHandler(assess_trend, pattern=r"^assess:")],
            WATCH: [MessageHandler(text, assess_watch)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        name="assess",
        persistent=True,
    )
    return [adding, assessing]
