"""Digests to Telegram chats through the platform-neutral delivery engine.

`TelegramDigestBuilder` renders a digest in Telegram HTML, split between items under 4,096
characters, each part ending in its marker line. `TelegramPoster` sends the parts:

* Telegram has no nonce and bots cannot read a chat's history, so `find` never recognises a
  part: the one part whose send was in flight when the process died is sent again after a
  restart (at most one duplicate per interrupted delivery; the period is never lost, because
  the ledger row stays `sending` until every part is recorded);
* "bot was blocked", "kicked" and "chat not found" pause the subscription with the reason;
* a group upgraded to a supergroup (`migrate_to_chat_id`) moves the subscription to the new
  chat id and the part is sent there;
* 429s carry `retry_after`: python-telegram-bot's rate limiter waits out only short ones
  (`bot.telegram.app.RATE_WAIT_MAX`: it holds every request of the bot meanwhile); one up
  to `MAX_RATELIMIT_WAIT` seconds is waited out here, by this send alone, and the part sent
  again (what discord.py does for Discord, so the engine's one retry budget means
  the same on both platforms); a longer one ends the attempt and the engine obeys it. Sends
  are paced under Telegram's 30 messages a second (the engine paces each chat;
  python-telegram-bot's AIORateLimiter keeps groups under 20 a minute).
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.core.digests.building import Digest, DigestBuilder
from bot.core.digests.delivery import ChannelForbidden, ChannelGone, RejectedError, RetryableError
from bot.core.digests.pacing import RealTimer, Timer, TokenBucket
from bot.core.digests.parts import marker
from bot.core.digests.schedule import DuePlan
from bot.core.rendering import Renderer
from bot.core.scope_moves import move_scope
from bot.core.subscriptions import Subscription
from bot.core.text import split_items
from bot.domain.scope import Scope
from bot.services import Services
from bot.telegram.common import NO_PREVIEW, PART_MAX, utf16_size

#: Messages per second over all chats: 98% of Telegram's 30, one at a time (at most 30 in
#: any second: the bucket holds one token).
SEND_RATE = 29.5
MARKER_ROOM = 100
#: The longest 429 waited out inside one send (discord.py's max_ratelimit_timeout for Discord)
MAX_RATELIMIT_WAIT = 30.0
#: Sends of one part per call: the chat moving, or short 429s waited out
SEND_TRIES = 4
Mover = Callable[[int, int], Awaitable[object]]


def telegram_marker(period: str, part: int, total: int) -> str:
    """The last line of a part, in italics (the same words as Discord's marker)."""
    return "<i>" + marker(period, part, total).removeprefix("-# ") + "</i>"


def render_telegram_parts(renderer: Renderer, digest: Digest) -> list[str]:
    """The Telegram messages of a digest, split between items, each ending in its marker."""
    text = renderer.render("digest.j2", digest=digest)
    chunks = split_items(text, PART_MAX - MARKER_ROOM, utf16_size)
    total = len(chunks)
    return [
        f"{chunk}\n{telegram_marker(digest.period, number, total)}"
        for number, chunk in enumerate(chunks, start=1)
    ]


class TelegramDigestBuilder:
    """The delivery engine's composer for Telegram chats ([] = nothing to post)."""

    def __init__(self, services: Services, renderer: Renderer) -> None:
        self.services = services
        self.renderer = renderer
        # The chats due at one instant share the window's read and each distinct digest's
        # rendering, as Discord's channels do.
        self._builder = DigestBuilder(services.db, renderer, render=render_telegram_parts)

    async def __call__(self, sub: Subscription, plan: DuePlan) -> list[str]:
        return await self._builder(sub, plan)


class ChatForbidden(ChannelForbidden):
    """Telegram refuses the chat for good: blocked by the user, or the bot was removed."""

    @property
    def advice(self) -> str:
        """Why the subscription is paused, and how to resume it, in Telegram's terms."""
        return (
            f"Telegram refused the digest ({self}). Unblock the bot or add it back to the "
            "chat (as an administrator of a channel), then /subscribe again to resume."
        )


class ChatGone(ChannelGone):
    """Telegram does not know the chat (deleted, or the bot never joined it)."""

    @property
    def advice(self) -> str:
        """Why the subscription is paused, in Telegram's terms."""
        return (
            f"Telegram cannot find the chat ({self}). Add the bot to it again, then "
            "/subscribe again to resume."
        )


def chat_mover(services: Services) -> Mover:
    """Moves a chat's scope when Telegram says the group became a supergroup."""

    async def move(old: int, new: int) -> object:
        moved = await move_scope(services.db, Scope.telegram(old), Scope.telegram(new))
        services.scope_moved()
        return moved

    return move


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramPoster:
    """The engine's Poster for Telegram chats (see the module docstring)."""

    def __init__(
        self, bot: Bot, on_move: Mover, *, rate: float = SEND_RATE, timer: Timer | None = None
    ) -> None:
        self.bot = bot
        self.on_move = on_move
        self.moved: dict[int, int] = {}
        self.timer = timer or RealTimer()
        self.bucket = TokenBucket(rate, 1.0, self.timer)

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        """Send one part (HTML, no preview, no nonce: Telegram has none; no forum posts, so
        `first_id` is unused); its message id."""
        chat_id = self.moved.get(channel_id, channel_id)
        for _ in range(SEND_TRIES):
            await self.bucket.acquire()
            try:
                message = await self.bot.send_message(
                    chat_id, content, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                )
            except ChatMigrated as exc:
                chat_id = exc.new_chat_id
                self.moved[channel_id] = chat_id
                await self.on_move(channel_id, chat_id)
                continue
            except Forbidden as exc:
                raise ChatForbidden(f"403 {exc.message}") from exc
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                if wait > MAX_RATELIMIT_WAIT:
                    raise RetryableError("429 too many requests", retry_after=wait) from exc
                await self.timer.sleep(wait)
                continue
            except BadRequest as exc:
                if "chat not found" in exc.message.lower():
                    raise ChatGone(f"400 {exc.message}") from exc
                raise RejectedError(f"400 {exc.message}") from exc
            except (NetworkError, TelegramError) as exc:
                raise RetryableError(f"network error: {exc}") from exc
            return message.message_id
        raise RetryableError("the chat kept moving, or Telegram kept refusing the rate")

    async def find(
        self,
        channel_id: int,
        marker: str,
        *,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
        first_id: int | None = None,
    ) -> int | None:
        """Bots cannot read a chat's history: a part in flight at a crash is sent again."""
        return None
