"""The Discord transport of digest delivery: `DiscordPoster` posts through discord.py's REST
client with a nonce (discord.py then sends enforce_nonce) and no pings, looks for its own
earlier parts, and turns Discord's errors into the engine's typed ones (`bot.core.digests.delivery`).

Retries: discord.py retries server errors and network errors up to 5 times per request and
waits out 429s up to `MAX_RATELIMIT_WAIT`; a longer 429 raises `RateLimited`, which becomes
`RetryableError` and the engine releases the delivery for a later sweep. The engine itself
posts each part once per attempt: one budget, never multiplied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.core.digests.delivery import ChannelForbidden, ChannelGone, RejectedError, RetryableError
from bot.discord.exts._common import NO_PINGS

#: discord.py's smallest allowed value: a 429 asking for longer gives the sweep the retry.
MAX_RATELIMIT_WAIT = 30.0
#: history pages of 100 looked through when resuming (each paced like a post)
HISTORY_PAGES = 10
#: how much earlier than the claim to look (clock skew between us and Discord)
HISTORY_SLACK = timedelta(minutes=2)
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


def _reason(exc: discord.HTTPException, default: str) -> str:
    return f"{exc.status} {exc.text or default} (code {exc.code})"


class DiscordPoster:
    """Posts digest parts through discord.py's REST client."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        if client.http.max_ratelimit_timeout is None:
            client.http.max_ratelimit_timeout = MAX_RATELIMIT_WAIT

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        """Post with `nonce` (discord.py adds enforce_nonce) and no pings.

        In a forum channel every digest is a new post: part 1 creates it (titled after the
        digest) and the id returned is the post's (Discord gives its starter message the
        same id); later parts, given that id as `first_id`, go into the post."""
        target = channel_id
        try:
            forum = self.client.get_channel(channel_id)
            if isinstance(forum, discord.ForumChannel):
                if first_id is None:
                    post = await forum.create_thread(
                        name=post_title(content), content=content, allowed_mentions=NO_PINGS
                    )
                    return post.thread.id
                target = first_id
            channel = self.client.get_partial_messageable(target)
            message = await channel.send(content, nonce=nonce, allowed_mentions=NO_PINGS)
        except discord.RateLimited as exc:
            raise RetryableError("429 rate limited", retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            raise _mapped(exc) from exc
        except NETWORK_ERRORS as exc:
            raise RetryableError(f"network error: {exc!r}") from exc
        return message.id

    async def find(
        self,
        channel_id: int,
        marker: str,
        *,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
        first_id: int | None = None,
    ) -> int | None:
        """A message of the bot's own, posted since `after`, whose last line is `marker`
        (in a forum: the bot's post whose first message ends so, or a message in the post
        `first_id`).

        Reads oldest first from `after` (so a busy channel cannot push the part out of
        view), a bounded number of pages, each one paced. Needs Read Message History, which
        /subscribe checks."""
        me = self.client.user
        if me is None:
            return None
        try:
            forum = self.client.get_channel(channel_id)
            if isinstance(forum, discord.ForumChannel):
                if first_id is None:
                    return await self._find_post(forum, me.id, marker, after, pace)
                channel_id = first_id
            return await self._find_in(channel_id, me.id, marker, after, pace)
        except discord.RateLimited as exc:
            raise RetryableError("429 rate limited", retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            raise _mapped(exc) from exc
        except NETWORK_ERRORS as exc:
            raise RetryableError(f"network error: {exc!r}") from exc

    async def _find_in(
        self,
        channel_id: int,
        me: int,
        marker: str,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
    ) -> int | None:
        channel = self.client.get_partial_messageable(channel_id)
        cursor = discord.Object(id=discord.utils.time_snowflake(after - HISTORY_SLACK))
        for _ in range(HISTORY_PAGES):
            await pace()
            page = [m async for m in channel.history(limit=100, after=cursor, oldest_first=True)]
            for message in page:
                if message.author.id == me and message.content.rsplit("\n", 1)[-1] == marker:
                    return message.id
            if len(page) < 100:
                return None
            cursor = discord.Object(id=page[-1].id)
        return None

    async def _find_post(
        self,
        forum: discord.ForumChannel,
        me: int,
        marker: str,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
    ) -> int | None:
        since = after - HISTORY_SLACK
        for thread in forum.threads:  # active posts, kept in the cache by the gateway
            created = thread.created_at or discord.utils.snowflake_time(thread.id)
            if thread.owner_id != me or created < since:
                continue
            await pace()
            async for first in thread.history(limit=1, oldest_first=True):
                if first.content.rsplit("\n", 1)[-1] == marker:
                    return thread.id
        return None


def post_title(content: str) -> str:
    """A forum post's title: the digest's heading and its period (from the marker line)."""
    heading = content.split("\n", 1)[0].lstrip("#").strip() or "Digest"
    fields = content.rsplit("\n", 1)[-1].split(" · ")
    period = fields[1] if len(fields) > 2 else ""
    return (f"{heading} · {period}" if period else heading)[:100]


def _mapped(exc: discord.HTTPException) -> Exception:
    if isinstance(exc, discord.NotFound):
        return ChannelGone(_reason(exc, "Not Found"))
    if isinstance(exc, discord.Forbidden):
        return ChannelForbidden(_reason(exc, "Forbidden"))
    if exc.status == 429 or exc.status >= 500:
        return RetryableError(f"{exc.status} {exc.text or 'server error'}")
    return RejectedError(_reason(exc, "Bad Request"))
