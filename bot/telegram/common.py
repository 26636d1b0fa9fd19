"""What every Telegram handler shares: the front end's state, who is asking, sending HTML in
parts, usage lines, and the one place errors become answers.

Domain errors become a short private answer: in a private chat, there; in a group, a
private message to the person who asked (or, if they never started the bot, a reply in the
group); on a button, an alert only the presser sees. Anything unexpected gets an apology
with an error id, and the log holds the traceback under that id.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any, cast

from telegram import (
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot import i18n
from bot.core.actors import Actor
from bot.core.rendering import Renderer
from bot.core.text import split_markup
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.scope import Scope
from bot.i18n import gettext as _
from bot.services import Services

log = logging.getLogger("bot.telegram")

MESSAGE_MAX = 4096
CALLBACK_DATA_MAX = 64  # bytes: Telegram refuses longer (or empty) callback_data
PART_MAX = 4000  # below 4,096 after entity parsing: the raw HTML is never shorter than that
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
Context = ContextTypes.DEFAULT_TYPE
_TAGS = re.compile(r"</?[a-z-]+[^>]*>")


@dataclass(frozen=True)
class TelegramConfig:
    """What the Telegram front end needs from the configuration."""

    token: str
    api_url: str = "https://api.telegram.org/bot"
    editor_ids: frozenset[int] = frozenset()


@dataclass
class FrontEnd:
    """The shared services plus Telegram's renderer and configuration."""

    services: Services
    config: TelegramConfig
    renderer: Renderer


def front(context: Context) -> FrontEnd:
    """The front end this handler runs in."""
    return cast(FrontEnd, context.application.bot_data["front"])


def usage(line: str) -> InvalidInput:
    """The refusal for missing or wrong arguments: one usage line."""
    return InvalidInput("usage", line)


async def speak_to(update: Update, context: Context) -> None:
    """Answer this update in its sender's app language (`language_code`); English when
    the bot does not speak it. Handlers of the update run in this task and read it."""
    user = update.effective_user
    i18n.set_locale(user.language_code if user is not None else None)


def take_turn(update: Update, context: Context, action: str) -> None:
    """Count a costly action (`bot.core.cooldowns`) against the sender's allowance and
    their chat's; `TooSoon` (answered like every refusal) when either is used up."""
    user, chat = update.effective_user, update.effective_chat
    person = f"tg:{user.id}" if user is not None else "tg:anonymous"
    place = f"tg:{chat.id}" if chat is not None else None
    front(context).services.limits.take(action, person, place)


def chat_scope(update: Update) -> Scope:
    """The scope a chat reads and writes: the chat itself (never a Discord server's)."""
    chat = update.effective_chat
    if chat is None:
        raise InvalidInput("where", _("use this in a chat with the bot"))
    return Scope.telegram(chat.id)


async def is_administrator(context: Context, chat_id: int, user_id: int) -> bool:
    """Telegram's own answer, asked on every request (never cached): creator or admin."""
    member = await context.bot.get_chat_member(chat_id, user_id)
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


async def actor_for(update: Update, context: Context, scope: Scope | None = None) -> Actor:
    """The person asking, with their rights in `scope` (default: this chat). A private
    chat is its user's own; in a group, supergroup or channel Telegram says who administers
    it. Telegram ids are prefixed so they never collide with Discord's in the audit trail."""
    user = update.effective_user
    if user is None:
        raise InvalidInput("who", _("this needs a person, not an anonymous post"))
    scope = scope or chat_scope(update)
    if scope.id == user.id:
        moderator = True
    else:
        moderator = await is_administrator(context, scope.id, user.id)
    return Actor(
        user_id=f"tg:{user.id}",
        name=user.username or user.full_name,
        scope=scope,
        is_moderator=moderator,
        is_editor=user.id in front(context).config.editor_ids,
    )


def callback_data(*parts: str | int) -> str:
    """A button's callback_data: its parts joined by ':'. The one place the Bot API's 1–64
    byte limit is checked, so a button that Telegram would refuse (BUTTON_DATA_INVALID, and
    the whole message with it) fails here instead, where it is our defect to see."""
    data = ":".join(str(p) for p in parts)
    if not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX:
        raise ValueError(f"callback_data of {len(data.encode())} bytes: {data[:80]!r}")
    return data


def utf16_size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str) -> list[str]:
    """Telegram messages of at most PART_MAX UTF-16 units of HTML, cut only between entities."""
    return split_markup(text, PART_MAX, utf16_size)


async def send_html(
    context: Context,
    chat_id: int,
    text: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send rendered HTML in as many parts as needed (keyboard on the last), no previews."""
    parts = split_html(text)
    sent = []
    for number, part in enumerate(parts, start=1):
        sent.append(
            await context.bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=keyboard if number == len(parts) else None,
                reply_to_message_id=reply_to if number == 1 else None,
            )
        )
    return sent


async def answer(update: Update, context: Context, text: str, **kwargs: Any) -> list[Message]:
    """Answer in the chat the command came from."""
    chat = update.effective_chat
    assert chat is not None
    return await send_html(context, chat.id, text, **kwargs)


def error_text(renderer: Renderer, error: BaseException, error_id: str | None = None) -> str:
    """The user-facing text of an error, from templates/telegram/error.j2."""
    if isinstance(error, InvalidInput):
        return renderer.render("error.j2", kind="invalid", field=error.field, message=error.rule)
    if isinstance(error, DomainError):
        return renderer.render(
            "error.j2", kind="domain", field=None, message=i18n.error_message(error)
        )
    return renderer.render("error.j2", kind="unexpected", field=None, message="", error_id=error_id)


async def on_error(update: object, context: Context) -> None:
    """The one place errors become answers (registered with `add_error_handler`)."""
    error = context.error
    if error is None:
        return
    renderer = front(context).renderer
    if isinstance(error, DomainError):
        text = error_text(renderer, error)
    else:
        error_id = uuid.uuid4().hex[:8]
        log.error("unexpected error error_id=%s update=%s", error_id, update, exc_info=error)
        text = error_text(renderer, error, error_id)
    if not isinstance(update, Update):
        return
    try:
        await refuse(update, context, text)
    except TelegramError:
        log.warning("could not deliver error answer update=%s", update.update_id)


async def refuse(update: Update, context: Context, text: str) -> None:
    """A short answer only the person who asked sees, wherever Telegram allows it."""
    if update.callback_query is not None:
        # An alert is plain text (at most 200 characters): drop our tags, undo the escaping.
        plain = html.unescape(_TAGS.sub("", text))
        await update.callback_query.answer(plain[:200], show_alert=True)
        return
    if update.inline_query is not None:
        await update.inline_query.answer([], cache_time=0)
        return
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None:
        return
    if chat.type != ChatType.PRIVATE and user is not None:
        try:
            await send_html(context, user.id, text)
            return
        except Forbidden:
            pass  # they never started the bot: the group is the only place left
        except BadRequest as error:
            # Telegram answers "chat not found" for a person the bot has never talked to.
            if "chat not found" not in error.message.lower():
                raise
    await send_html(context, chat.id, text, reply_to=message.message_id if message else None)
