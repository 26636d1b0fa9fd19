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
from bot.domain.errors import InvalidInput, NotFound, PermissionDenied
from bot.domain.models import DOMAINS
from bot.domain.wording import N_
from bot.i18n import gettext as _
from bot.telegram.common import (
    NO_PREVIEW,
    Context,
    actor_for,
    answer,
    callback_data,
    chat_scope,
    front,
    take_turn,
    usage,
)
from bot.telegram.menu import START_COMMANDS, command, commands_for

BRIEF_USAGE = N_("/brief topic [period] [domain] — e.g. /brief japan-korea 30d")
TIMELINE_USAGE = N_("/timeline topic [from] [to] — dates as YYYY, YYYY-MM or YYYY-MM-DD")
SEARCH_USAGE = N_("/search words — e.g. /search missile launch")
ID_USAGE = N_("/{name} id — e.g. /{name} 12")
PAGE_SIZE = 12
PAGE_PREFIX = "tl"
PAGE_OWNERS = "timeline_owners"  # chat_data key: message id → who asked for that timeline
PAGE_OWNERS_KEPT = 500  # per chat; older timelines' buttons answer "ask again"


async def start(update: Update, context: Context) -> None:
    """/start: a short welcome with the three commands most people come for."""
    text = front(context).renderer.render(
        "start.j2", commands=[command(name) for name in START_COMMANDS]
    )
    await answer(update, context, text)


async def help_(update: Update, context: Context) -> None:
    """/help: what the bot does, every command the asker may use here, and the topics."""
    try:
        actor = await actor_for(update, context)
        administrator = actor.is_moderator or actor.is_editor
    except InvalidInput:  # an anonymous post: the commands everyone may use
        administrator = False
    text = front(context).renderer.render(
        "help.j2",
        version=Safe(__version__),
        commands=commands_for(administrator=administrator),
        topics=all_topics(),
        bot_username=context.bot.username,
    )
    await answer(update, context, text)


async def brief(update: Update, context: Context) -> None:
    """/brief topic [period] [domain]."""
    args = list(context.args or [])
    if not args or len(args) > 3:
        raise usage(_(BRIEF_USAGE))
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
                    brief_usage=_(BRIEF_USAGE), value=", ".join(PERIODS), value2=", ".join(DOMAINS)
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


def _page_data(page: int, slug: str, start: str, end: str, bound: str) -> str:
    """A page button's data: which page, the query to redo as canonical values (a topic
    slug, ISO dates) and where the page starts: `a12` after development 12, `b12` before
    it. Who may press it is kept by the bot, not in the data."""
    return callback_data(PAGE_PREFIX, page, slug, start, end, bound)


def _canonical_date(value: str, name: str) -> str:
    """A typed date as `2023-03-16`, `2023-03` or `2023` (full-width digits and dashes
    from a Japanese or Korean keyboard included), or "" when none was given."""
    return parse_fuzzy_date(value, name).iso() if value.strip() else ""


def _remember_owner(context: Context, message_id: int, user_id: int) -> None:
    """Who asked for the timeline in `message_id` (only they may turn its pages)."""
    if context.chat_data is None:
        return
    owners: dict[int, int] = context.chat_data.setdefault(PAGE_OWNERS, {})
    owners[message_id] = user_id
    while len(owners) > PAGE_OWNERS_KEPT:
        del owners[next(iter(owners))]


def _owner(context: Context, message_id: int) -> int | None:
    if context.chat_data is None:
        return None
    owners: dict[int, int] = context.chat_data.get(PAGE_OWNERS, {})
    return owners.get(message_id)


async def _timeline_page(
    update: Update,
    context: Context,
    slug: str,
    start: str,
    end: str,
    page: int = 0,
    bound: str = "",
) -> tuple[str, InlineKeyboardMarkup | None]:
    fe = front(context)
    after = int(bound[1:]) if bound.startswith("a") else None
    before = int(bound[1:]) if bound.startswith("b") else None
    shown = await lookup.timeline_page(
        fe.services.db,
        slug,
        chat_scope(update),
        start=start or None,
        end=end or None,
        size=PAGE_SIZE,
        number=page,
        after=after,
        before=before,
    )
    text = fe.renderer.render(
        "timeline.j2",
        timeline=shown.timeline,
        items=shown.timeline.developments,
        page=shown.number,
        pages=shown.pages,
    )
    row = []
    if shown.earlier is not None:
        data = _page_data(shown.number - 1, slug, start, end, f"b{shown.earlier}")
        row.append(InlineKeyboardButton(_("◀ Earlier"), callback_data=data))
    if shown.later is not None:
        data = _page_data(shown.number + 1, slug, start, end, f"a{shown.later}")
        row.append(InlineKeyboardButton(_("Later ▶"), callback_data=data))
    return text, InlineKeyboardMarkup([row]) if row else None


async def timeline(update: Update, context: Context) -> None:
    """/timeline topic [from] [to]: the first page, with buttons for the others."""
    args = list(context.args or [])
    if not args or len(args) > 3:
        raise usage(_(TIMELINE_USAGE))
    slug = get_topic(args[0]).slug
    typed = ([*args[1:], "", ""])[:2]
    start, end = _canonical_date(typed[0], "from"), _canonical_date(typed[1], "to")
    text, keyboard = await _timeline_page(update, context, slug, start, end)
    sent = await answer(update, context, text, keyboard=keyboard)
    user = update.effective_user
    if keyboard is not None and user is not None:
        _remember_owner(context, sent[-1].message_id, user.id)


def _page_query(data: str) -> tuple[int, str, str, str, str]:
    """(page, slug, start, end, bound) from a page button's data, checked again: the data
    comes from the presser's app and can be forged."""
    parts = data.split(":")
    if (
        len(parts) != 6
        or not _is_number(parts[1])
        or parts[5][:1] not in ("a", "b")
        or not _is_number(parts[5][1:])
    ):
        raise InvalidInput("page", _("this button is not one of ours; ask again with /timeline"))
    slug = get_topic(parts[2]).slug
    start, end = _canonical_date(parts[3], "from"), _canonical_date(parts[4], "to")
    if parts[2:5] != [slug, start, end]:
        raise InvalidInput("page", _("this button is not one of ours; ask again with /timeline"))
    return int(parts[1]), slug, start, end, parts[5]


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 12


async def turn_page(update: Update, context: Context) -> None:
    """A timeline button: only the person who asked may turn its pages."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    owner = _owner(context, message.message_id) if message is not None else None
    if owner is None:
        raise NotFound(
            _(
                "These buttons no longer work (the bot has restarted since); ask again with /timeline."
            )
        )
    if query.from_user.id != owner:
        raise PermissionDenied(_("Only the person who asked for this timeline can turn its pages."))
    page, slug, start, end, bound = _page_query(query.data)
    text, keyboard = await _timeline_page(update, context, slug, start, end, page, bound)
    await query.answer()
    await query.edit_message_text(
        text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=keyboard
    )


async def search(update: Update, context: Context) -> None:
    """/search words."""
    words = " ".join(context.args or [])
    if not words.strip():
        raise usage(_(SEARCH_USAGE))
    take_turn(update, context, "search")
    fe = front(context)
    results = await lookup.search(fe.services.db, words, chat_scope(update))
    await answer(update, context, fe.renderer.render("search.j2", results=results))


def _one_id(context: Context, name: str) -> int:
    args = list(context.args or [])
    if len(args) != 1:
        raise usage(_(ID_USAGE).format(name=name))
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
        CommandHandler("start", start),
        CommandHandler("help", help_),
        CommandHandler("brief", brief),
        CommandHandler("timeline", timeline),
        CallbackQueryHandler(turn_page, pattern=rf"^{PAGE_PREFIX}:"),
        CommandHandler("search", search),
        CommandHandler("development", development),
        CommandHandler("history", history),
    ]
