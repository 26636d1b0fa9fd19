"""Reading commands: /start, /help, /brief, /timeline (with pages), /search, /development,
/history."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import __version__
from bot.core import lookup
from bot.core.briefs import PERIODS, compose_brief, parse_domain
from bot.core.rendering import Safe
from bot.core.topics import all_topics, get_topic
from bot.core.validation import parse_development_id, parse_fuzzy_date
from bot.domain.errors import PermissionDenied
from bot.domain.models import DOMAINS
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.telegram.common import (
    NO_PREVIEW,
    Context,
    actor_for,
    answer,
    chat_scope,
    front,
    usage,
)

#: (command, usage, description) — the menu (setMyCommands) and /help list these.
COMMANDS: list[tuple[str, str, str]] = [
    (
        "brief",
        "topic [period] [domain]",
        N_("A briefing on a topic: bottom line, key developments"),
    ),
    ("timeline", "topic [from] [to]", N_("A topic's developments in date order")),
    ("search", "words", N_("Search developments, best match first")),
    ("ask", "question", N_("Ask a question; the answer quotes the catalogue")),
    ("development", "id", N_("One development in full, with its sources")),
    ("history", "id", N_("Who changed a development, and what (editors)")),
    (
        "subscribe",
        "[@channel] [topics] [daily|weekly] [weekday] [HH:MM] [zone] "
        "[include=word,word] [exclude=word] [domains=economy,security]",
        N_("Digests here or in your channel (administrators)"),
    ),
    ("unsubscribe", "[@channel]", N_("Stop the digests (administrators)")),
    ("subscriptions", "[@channel]", N_("The digest subscription and its state (administrators)")),
    (
        "digest",
        "preview|sendnow [@channel]",
        N_("See the next digest, or send it now (administrators)"),
    ),
    (
        "settings",
        "timezone Zone | language en|ja|ko",
        N_("This chat's time zone and language for digests (administrators)"),
    ),
    (
        "feed",
        "add URL|list|remove ID|pause ID [resume]",
        N_("News feeds read into this chat's review queue (administrators, editors)"),
    ),
    (
        "queue",
        "[global]",
        N_("Candidate developments waiting for review (administrators, editors)"),
    ),
    ("help", "", N_("What this bot does and how to use it")),
]
BRIEF_USAGE = "/brief topic [period] [domain] — e.g. /brief japan-korea 30d"
TIMELINE_USAGE = "/timeline topic [from] [to] — dates as YYYY, YYYY-MM or YYYY-MM-DD"
SEARCH_USAGE = "/search words — e.g. /search missile launch"
ID_USAGE = "/{name} id — e.g. /{name} 12"
PAGE_SIZE = 12
PAGE_PREFIX = "tl"


async def start(update: Update, context: Context) -> None:
    """/start and /help: what the bot does, its commands and topics."""
    text = front(context).renderer.render(
        "help.j2",
        version=Safe(__version__),
        commands=COMMANDS,
        topics=all_topics(),
        bot_username=context.bot.username,
    )
    await answer(update, context, text)


async def brief(update: Update, context: Context) -> None:
    """/brief topic [period] [domain]."""
    args = list(context.args or [])
    if not args or len(args) > 3:
        raise usage(BRIEF_USAGE)
    topic = get_topic(args[0])
    period, domain = "all", None
    for extra in args[1:]:
        if extra.lower() in PERIODS:
            period = extra.lower()
        elif extra.lower() in DOMAINS:
            domain = parse_domain(extra)
        else:
            raise usage(
                _("{brief_usage}; period is one of {value}, domain one of {value2}").format(
                    brief_usage=BRIEF_USAGE, value=", ".join(PERIODS), value2=", ".join(DOMAINS)
                )
            )
    fe = front(context)
    result = await compose_brief(
        fe.services.db,
        topic.slug,
        chat_scope(update),
        period=period,
        domain=domain,
        clock=fe.services.clock,
    )
    await answer(update, context, fe.renderer.render("brief.j2", brief=result))


def _page_data(user_id: int, page: int, slug: str, start: str, end: str) -> str:
    """Callback data (≤ 64 bytes): who may press, which page, and the query to redo."""
    return f"{PAGE_PREFIX}:{user_id}:{page}:{slug}:{start}:{end}"


async def _timeline_page(
    update: Update, context: Context, slug: str, start: str, end: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    fe = front(context)
    result = await lookup.timeline(
        fe.services.db, slug, chat_scope(update), start=start or None, end=end or None
    )
    pages = max(1, -(-len(result.developments) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    items = result.developments[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    text = fe.renderer.render("timeline.j2", timeline=result, items=items, page=page, pages=pages)
    user = update.effective_user
    if pages == 1 or user is None:
        return text, None
    row = []
    if page > 0:
        row.append(
            InlineKeyboardButton(
                _("◀ Earlier"), callback_data=_page_data(user.id, page - 1, slug, start, end)
            )
        )
    if page < pages - 1:
        row.append(
            InlineKeyboardButton(
                _("Later ▶"), callback_data=_page_data(user.id, page + 1, slug, start, end)
            )
        )
    return text, InlineKeyboardMarkup([row])


async def timeline(update: Update, context: Context) -> None:
    """/timeline topic [from] [to]: the first page, with buttons for the others."""
    args = list(context.args or [])
    if not args or len(args) > 3:
        raise usage(TIMELINE_USAGE)
    slug = get_topic(args[0]).slug
    start, end = ([*args[1:], "", ""])[:2]
    for value, name in ((start, "from"), (end, "to")):
        if value:
            parse_fuzzy_date(value, name)
    text, keyboard = await _timeline_page(update, context, slug, start, end, 0)
    await answer(update, context, text, keyboard=keyboard)


async def turn_page(update: Update, context: Context) -> None:
    """A timeline button: only the person who asked may turn its pages."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, owner, page, slug, start, end = query.data.split(":", 5)
    if query.from_user.id != int(owner):
        raise PermissionDenied(_("Only the person who asked for this timeline can turn its pages."))
    text, keyboard = await _timeline_page(update, context, slug, start, end, int(page))
    await query.answer()
    await query.edit_message_text(
        text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=keyboard
    )


async def search(update: Update, context: Context) -> None:
    """/search words."""
    words = " ".join(context.args or [])
    if not words.strip():
        raise usage(SEARCH_USAGE)
    fe = front(context)
    results = await lookup.search(fe.services.db, words, chat_scope(update))
    await answer(update, context, fe.renderer.render("search.j2", results=results))


def _one_id(context: Context, name: str) -> int:
    args = list(context.args or [])
    if len(args) != 1:
        raise usage(ID_USAGE.format(name=name))
    return parse_development_id(args[0].lstrip("#"))


async def development(update: Update, context: Context) -> None:
    """/development id."""
    dev_id = _one_id(context, "development")
    fe = front(context)
    dev = await fe.services.catalogue.show(dev_id, chat_scope(update))
    await answer(update, context, fe.renderer.render("development.j2", d=dev))


async def history(update: Update, context: Context) -> None:
    """/history id (editors)."""
    dev_id = _one_id(context, "history")
    fe = front(context)
    dev, revisions = await fe.services.catalogue.history(await actor_for(update, context), dev_id)
    await answer(update, context, fe.renderer.render("history.j2", d=dev, revisions=revisions))


def handlers() -> list[CommandHandler[Context, None] | CallbackQueryHandler[Context, None]]:
    """This module's handlers."""
    return [
        CommandHandler(["start", "help"], start),
        CommandHandler("brief", brief),
        CommandHandler("timeline", timeline),
        CallbackQueryHandler(turn_page, pattern=rf"^{PAGE_PREFIX}:"),
        CommandHandler("search", search),
        CommandHandler("development", development),
        CommandHandler("history", history),
    ]
