"""The Discord transport of digest delivery: `DiscordPoster` posts through discord.py's REST
client with a nonce (discord.py then sends enforce_nonce) and no pings, looks for its own
earlier parts, and turns Discord's errors into the engine's typed ones (`bot.core.digests.delivery`).

Retries: discord.py retries server errors and network errors up to 5 times per request and
waits out 429s up to `MAX_RATELIMIT_WAIT`; a longer 429 raises `RateLimited`, which becomes
`RetryableError` and the engine releases the delivery for a later sweep. The engine itself
posts each part once per attempt: one budget, never multiplied.

Forum posts: part 1 of a forum digest creates the post (`create_thread`), which takes no nonce,
so a resend after a lost answer would make a second post. discord.py resends server errors
and connection resets by itself; for this one request it must not (`no_resend_trace`, on the
client's HTTP session, hands the unknown outcome to us instead), and before trying again the
poster looks for the post by its marker line, as a resumed delivery does.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

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
#: tries at creating a forum post per attempt, each after looking for it first
POST_TRIES = 3
#: answers and errors discord.py resends a request after (its HTTPClient.request)
RESENT_STATUSES = frozenset({500, 502, 504, 524})
RESENT_ERRNOS = frozenset({errno.ECONNRESET, 54, 10054})

_NO_RESEND: contextvars.ContextVar[bool] = contextvars.ContextVar("no_resend", default=False)


class AnswerLost(Exception):
    """A request without a nonce whose outcome is unknown (a server error, a reset
    connection): it may have been carried out. Not an OSError, so discord.py does not resend."""


@contextlib.contextmanager
def _no_resend() -> Iterator[None]:
    token = _NO_RESEND.set(True)
    try:
        yield
    finally:
        _NO_RESEND.reset(token)


async def _on_request_end(
    session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    if _NO_RESEND.get() and params.response.status in RESENT_STATUSES:
        raise AnswerLost(f"{params.response.status} {params.response.reason or 'server error'}")


async def _on_request_exception(
    session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestExceptionParams,
) -> None:
    error = params.exception
    if _NO_RESEND.get() and isinstance(error, OSError) and error.errno in RESENT_ERRNOS:
        raise AnswerLost(f"connection reset: {error!r}") from error


def no_resend_trace() -> aiohttp.TraceConfig:
    """For `discord.Client(http_trace=...)`: requests made under `_no_resend` are not resent
    by discord.py after an answer that leaves their outcome unknown; `AnswerLost` is raised."""
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(_on_request_end)
    trace.on_request_exception.append(_on_request_exception)
    return trace


async def _no_pace() -> None:
    return None


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
                    return await self._create_post(forum, content)
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

    async def _create_post(self, forum: discord.ForumChannel, content: str) -> int:
        """Part 1 in a forum: a new post, made at most once however its answers get lost."""
        marker = content.rsplit("\n", 1)[-1]
        since = datetime.now(UTC)
        me = self.client.user
        lost: AnswerLost | None = None
        for attempt in range(POST_TRIES + 1):
            if attempt and me is not None:
                found = await self._find_post(forum, me.id, marker, since, _no_pace, fetch=True)
                if found is not None:
                    return found
            if attempt == POST_TRIES:
                break
            try:
                with _no_resend():
                    post = await forum.create_thread(
                        name=post_title(content), content=content, allowed_mentions=NO_PINGS
                    )
                return post.thread.id
            except AnswerLost as exc:
                lost = exc
            except discord.DiscordServerError as exc:
                lost = AnswerLost(_reason(exc, "server error"))
        raise RetryableError(f"the forum post's answer was lost: {lost}")

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
        *,
        fetch: bool = False,
    ) -> int | None:
        since = after - HISTORY_SLACK
        # Active posts, kept in the cache by the gateway; right after a lost answer the
        # gateway may not have told us yet, so the active threads are also asked for.
        threads = {t.id: t for t in forum.threads}
        if fetch:
            await pace()
            threads |= {
                t.id: t for t in await forum.guild.active_threads() if t.parent_id == forum.id
            }
        for thread in threads.values():
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
