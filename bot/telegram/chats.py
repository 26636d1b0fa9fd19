"""What Telegram tells the bot about chats: a group upgraded to a supergroup (everything
moves to the new id), the bot removed from a chat (its subscription is paused); and a plain
message in a private chat, which gets a one-line hint instead of silence."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.core.scope_moves import move_scope
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from bot.i18n import gettext as _
from bot.telegram.common import Context, answer, front

GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


async def migrated(update: Update, context: Context) -> None:
    """The service message in the old group: `migrate_to_chat_id`."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    svc = front(context).services
    await move_scope(
        svc.db, Scope.telegram(message.chat.id), Scope.telegram(message.migrate_to_chat_id)
    )
    svc.scope_moved()
    sub = await SubscriptionService(svc.db, svc.clock).of_channel(message.migrate_to_chat_id)
    if sub is not None:
        await svc.digests.scheduler.refresh(sub.id)


async def bot_membership(update: Update, context: Context) -> None:
    """The bot was removed from (or blocked in) a chat: pause its digests with the reason."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in GONE:
        return
    svc = front(context).services
    reason = (
        _("The bot was blocked in this private chat.")
        if change.chat.type == "private"
        else _("The bot was removed from this chat.")
    )
    subs = await SubscriptionService(svc.db, svc.clock).pause_scope(
        Scope.telegram(change.chat.id), reason
    )
    for sub in subs:
        await svc.digests.scheduler.refresh(sub.id)


async def hint(update: Update, context: Context) -> None:
    """A plain message in a private chat (outside a form): say how to ask."""
    await answer(
        update,
        context,
        _("Send a command, for example /brief japan-korea; /help lists them all."),
    )


def handlers() -> list[MessageHandler[Context, None] | ChatMemberHandler[Context, None]]:
    """This module's handlers (registered last: an open form takes its answers first)."""
    plain = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & ~filters.VIA_BOT
    return [
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
        MessageHandler(plain, hint),
        ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
