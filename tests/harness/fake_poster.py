"""An in-memory `Poster` that behaves like Discord where delivery cares: nonces with
enforce_nonce return the existing message, channels can be deleted or locked, and errors
(500, 429) can be queued per channel. A hook can "crash the process" at chosen moments."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.digests.delivery import ChannelForbidden, ChannelGone, DeliveryError, RetryableError


class Crash(Exception):
    """Simulated process death at a chosen moment. The engine's fan-out logs it like any
    unexpected error; the test then throws the engine away and builds a new one, as a
    restarted process would, over the same database."""


@dataclass
class Posted:
    """A message in a fake channel."""

    id: int
    content: str
    nonce: str
    at: float = 0.0


@dataclass
class FakeTimer:
    """Virtual monotonic time: sleeping advances it at once."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class FakePoster:
    """Channels as lists of messages; see the module docstring."""

    channels: dict[int, list[Posted]] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)
    forbidden: set[int] = field(default_factory=set)
    faults: dict[int, list[DeliveryError]] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)
    #: called as hook(event, channel_id, count) with event "before" or "after" a post
    hook: Callable[[str, int, int], None] | None = None
    history_works: bool = True
    timer: FakeTimer | None = None
    send_times: list[float] = field(default_factory=list)
    find_times: list[float] = field(default_factory=list)
    #: (channel, time) of every post attempt
    send_log: list[tuple[int, float]] = field(default_factory=list)
    #: Discord forgets nonces after a few minutes (needs `timer`); None: never
    nonce_window: float | None = None
    _next_id: int = 1000

    def fail(self, channel_id: int, *errors: DeliveryError) -> None:
        """Queue errors for the next posts to a channel."""
        self.faults.setdefault(channel_id, []).extend(errors)

    def messages(self, channel_id: int) -> list[Posted]:
        return self.channels.get(channel_id, [])

    @property
    def total(self) -> int:
        return sum(len(m) for m in self.channels.values())

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        self.calls.append(("send", channel_id))
        if self.timer is not None:
            self.send_times.append(self.timer.now)
            self.send_log.append((channel_id, self.timer.now))
        if channel_id in self.gone:
            raise ChannelGone("404 Not Found (error code: 10003): Unknown Channel")
        if channel_id in self.forbidden:
            raise ChannelForbidden("403 Forbidden (error code: 50013): Missing Permissions")
        queued = self.faults.get(channel_id)
        if queued:
            raise queued.pop(0)
        assert len(content) <= 2000, "Discord refuses content over 2,000 characters"
        if self.hook:
            self.hook("before", channel_id, self.total)
        channel = self.channels.setdefault(channel_id, [])
        now = self.timer.now if self.timer is not None else 0.0
        for message in channel:
            fresh = self.nonce_window is None or now - message.at < self.nonce_window
            if message.nonce == nonce and fresh:  # enforce_nonce: the existing message
                return message.id
        self._next_id += 1
        channel.append(Posted(self._next_id, content, nonce, now))
        if self.hook:
            self.hook("after", channel_id, self.total)
        return self._next_id

    async def find(
        self,
        channel_id: int,
        marker: str,
        *,
        after: datetime,
        pace: Callable[[], Awaitable[None]],
        first_id: int | None = None,
    ) -> int | None:
        await pace()
        self.calls.append(("find", channel_id))
        if self.timer is not None:
            self.find_times.append(self.timer.now)
        if not self.history_works:
            raise ChannelForbidden("403 Forbidden (error code: 50001): Missing Access")
        for message in reversed(self.messages(channel_id)[-50:]):
            if message.content.rsplit("\n", 1)[-1] == marker:
                return message.id
        return None


def server_error() -> RetryableError:
    return RetryableError("503 Service Unavailable")


def rate_limited(retry_after: float) -> RetryableError:
    return RetryableError("429 Too Many Requests", retry_after=retry_after)


class HeldPoster:
    """Wraps a platform's real poster: a send stays in flight until the test sets `go`
    (`started` says one began), so a test can stop the bot with a part mid-send."""

    def __init__(self, poster: Any) -> None:
        self.poster = poster
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def send(
        self, channel_id: int, content: str, *, nonce: str, first_id: int | None = None
    ) -> int:
        self.started.set()
        await self.go.wait()
        return int(await self.poster.send(channel_id, content, nonce=nonce, first_id=first_id))

    async def find(self, channel_id: int, marker: str, **kwargs: Any) -> int | None:
        found = await self.poster.find(channel_id, marker, **kwargs)
        return None if found is None else int(found)
