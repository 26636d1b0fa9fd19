"""A tiny fake of Discord's REST API over loopback HTTP (127.0.0.1 only), for discord.py.

It answers what digest delivery uses — GET /users/@me, POST and GET
/channels/{id}/messages — like Discord where it matters:

* `nonce` + `enforce_nonce`: the same nonce in the same channel within `nonce_window`
  seconds returns the message already created instead of posting again;
* a global limit (default 50 requests per second): beyond it, 429 with `retry_after`
  and `X-RateLimit-Global`, counted as an invalid request;
* a message Discord would refuse (harness.discord_rules: content over 2,000 characters,
  oversized embeds, bad components, unknown fields, nothing to show) answers 400 50035;
  a message of embeds alone is accepted;
* channels can be told to answer 403 (50013), 404 (10003), 500 or 429, once or always, and
  a fault can come after the post is made (`after_commit`: Discord has it, the answer is lost);
* forums (`add_forum`): POST /channels/{forum}/threads makes a post (no nonce: Discord takes
  none there) whose starter message has the post's id; GET /guilds/{id}/threads/active lists
  the active posts;
* a hook runs after a message is stored and before the answer is sent, so a test can kill
  the client exactly between "Discord has the message" and "the client knows it".

The benchmark (bench/) uses it too to measure delivery throughput under the 50 req/s limit.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from harness.discord_rules import check_message

BOT_ID = 424242424242424242
OTHER_USER_ID = 515151515151515151
API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000


def _snowflakes() -> itertools.count[int]:
    """Ids that encode the time, like Discord's (history `after=` relies on that)."""
    return itertools.count((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22)


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the exact content type discord.py checks for (no charset suffix)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class Fault:
    """An answer to give instead of posting: HTTP status, Discord code, times (None = always)."""

    status: int
    code: int = 0
    times: int | None = 1
    retry_after: float = 0.05
    #: carry the request out, then answer with the fault (a lost answer)
    after_commit: bool = False


@dataclass
class FakeDiscord:
    """The server's state; `start()` serves it on an ephemeral loopback port."""

    global_limit: int | None = 50
    nonce_window: float = 300.0
    #: the bot's messages per channel
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: other users' messages per channel (see `chatter`)
    others: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: every message per channel in posting order
    timeline: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    history_requests: int = 0
    faults: dict[int, list[Fault]] = field(default_factory=dict)
    request_times: list[float] = field(default_factory=list)
    invalid_requests: int = 0
    global_429s: int = 0
    #: why each refused message was refused (Discord's 400 50035)
    refusals: list[str] = field(default_factory=list)
    #: forum channel id → its guild id
    forums: dict[int, int] = field(default_factory=dict)
    #: forum posts (threads) by id
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: called as hook(channel_id, total_messages) after storing, before answering
    on_post: Callable[[int, int], None] | None = None
    _nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _window: deque[float] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=_snowflakes)
    _runner: web.AppRunner | None = None
    url: str = ""

    # --- control ---------------------------------------------------------------------------

    def fail(self, channel_id: int, fault: Fault) -> None:
        """Answer posts to a channel with `fault` (queued after earlier faults)."""
        self.faults.setdefault(channel_id, []).append(fault)

    def add_forum(self, forum_id: int, guild_id: int) -> None:
        """A forum channel of a guild: every post to it is a new thread."""
        self.forums[forum_id] = guild_id

    def posts(self, forum_id: int) -> list[dict[str, Any]]:
        """The posts (threads) made in a forum, oldest first."""
        return [t for t in self.threads.values() if int(t["parent_id"]) == forum_id]

    def chatter(self, channel_id: int, count: int, *, content: str = "chat") -> None:
        """`count` messages by another user (a busy channel); `content` may copy a marker."""
        for _ in range(count):
            message = self._message(channel_id, content, None, author=OTHER_USER_ID)
            self.others.setdefault(channel_id, []).append(message)
            self._all(channel_id).append(message)

    def _all(self, channel_id: int) -> list[dict[str, Any]]:
        return self.timeline.setdefault(channel_id, [])

    def count(self, channel_id: int) -> int:
        """The bot's messages in a channel."""
        return len(self.messages.get(channel_id, []))

    @property
    def total(self) -> int:
        """The bot's messages in every channel."""
        return sum(len(m) for m in self.messages.values())

    def max_per_second(self) -> int:
        """The most requests seen in any one-second window."""
        times = self.request_times
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    async def start(self) -> str:
        """Serve on 127.0.0.1; returns the API base URL for `discord.http.Route.BASE`."""
        app = web.Application()
        app.router.add_get(f"{API}/users/@me", self._me)
        app.router.add_post(API + "/channels/{channel_id}/messages", self._post)
        app.router.add_get(API + "/channels/{channel_id}/messages", self._history)
        app.router.add_post(API + "/channels/{channel_id}/threads", self._post_thread)
        app.router.add_get(API + "/guilds/{guild_id}/threads/active", self._active_threads)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{API}"
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    # --- Discord-shaped answers ------------------------------------------------------------

    @staticmethod
    def _user(user_id: int = BOT_ID) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": "Trilateral Brief" if user_id == BOT_ID else "someone",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": user_id == BOT_ID,
        }

    def _message(
        self, channel_id: int, content: str, nonce: str | None, *, author: int = BOT_ID
    ) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "author": self._user(author),
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "nonce": nonce,
        }

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return _json({"message": message, "code": code}, status=status)

    def _limited(self) -> web.Response | None:
        now = time.monotonic()
        self.request_times.append(now)
        if self.global_limit is None:
            return None
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.global_limit:
            self.invalid_requests += 1
            self.global_429s += 1
            retry_after = max(0.001, 1.0 - (now - self._window[0]))
            return _json(
                {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": True,
                },
                status=429,
                headers={
                    "Retry-After": f"{retry_after:.3f}",
                    "X-RateLimit-Global": "true",
                    "Via": "1.1 google",  # discord.py takes a 429 without it for a ban
                    "X-RateLimit-Scope": "global",
                },
            )
        self._window.append(now)
        return None

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self._user())

    def _fault(self, channel_id: int, *, after_commit: bool = False) -> web.Response | None:
        queued = self.faults.get(channel_id)
        if queued and queued[0].after_commit == after_commit:
            fault = queued[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queued.pop(0)
            if fault.status in (401, 403, 429):
                self.invalid_requests += 1
            if fault.status == 429:
                return _json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": fault.retry_after,
                        "global": False,
                    },
                    status=429,
                    headers={
                        "Retry-After": str(fault.retry_after),
                        "X-RateLimit-Scope": "user",
                        "Via": "1.1 google",
                    },
                )
            names = {403: "Missing Permissions", 404: "Unknown Channel", 500: "Internal Error"}
            return self._error(fault.status, fault.code, names.get(fault.status, "Error"))
        return None

    async def _post(self, request: web.Request) -> web.Response:
        limited = self._limited()
        if limited is not None:
            return limited
        channel_id = int(request.match_info["channel_id"])
        refused = self._fault(channel_id)
        if refused is not None:
            return refused
        body = await request.json()
        nonce = body.get("nonce")
        content = str(body.get("content") or "")
        problems = check_message(body) if isinstance(body, dict) else ["not a JSON object"]
        if problems:
            self.refusals.append("; ".join(problems))
            return self._error(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        key = (channel_id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get(key)
            if seen is not None and time.monotonic() - seen[0] < self.nonce_window:
                return _json(seen[1])
        message = self._message(channel_id, content, None if nonce is None else str(nonce))
        message["embeds"] = list(body.get("embeds") or [])
        message["components"] = list(body.get("components") or [])
        self.messages.setdefault(channel_id, []).append(message)
        self._all(channel_id).append(message)
        if nonce is not None:
            self._nonces[key] = (time.monotonic(), message)
        if self.on_post is not None:
            self.on_post(channel_id, self.total)
        return _json(message)

    async def _post_thread(self, request: web.Request) -> web.Response:
        limited = self._limited()
        if limited is not None:
            return limited
        forum_id = int(request.match_info["channel_id"])
        if forum_id not in self.forums:
            return self._error(400, 50024, "Cannot execute action on this channel type")
        refused = self._fault(forum_id)
        if refused is not None:
            return refused
        body = await request.json()
        name = str(body.get("name") or "")
        starter = body.get("message") or {}
        content = str(starter.get("content") or "")
        problems = [] if 1 <= len(name) <= 100 else ["name: must be 1 to 100 characters"]
        problems += (
            check_message(starter) if isinstance(starter, dict) else ["message: not an object"]
        )
        if problems:
            self.refusals.append("; ".join(problems))
            return self._error(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        thread_id = next(self._ids)
        message = self._message(thread_id, content, None)
        message["id"] = str(thread_id)  # a post's starter message has the post's id
        self.messages.setdefault(thread_id, []).append(message)
        self._all(thread_id).append(message)
        thread = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": str(self.forums[forum_id]),
            "parent_id": str(forum_id),
            "owner_id": str(BOT_ID),
            "name": name,
            "last_message_id": str(thread_id),
            "message_count": 1,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 10080,
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
                "create_timestamp": datetime.now(UTC).isoformat(),
            },
        }
        self.threads[thread_id] = thread
        lost = self._fault(forum_id, after_commit=True)
        if lost is not None:
            return lost
        return _json(thread | {"message": message})

    async def _active_threads(self, request: web.Request) -> web.Response:
        limited = self._limited()
        if limited is not None:
            return limited
        guild_id = request.match_info["guild_id"]
        found = [t for t in self.threads.values() if t["guild_id"] == guild_id]
        return _json({"threads": found, "members": []})

    async def _history(self, request: web.Request) -> web.Response:
        limited = self._limited()
        if limited is not None:
            return limited
        self.history_requests += 1
        channel_id = int(request.match_info["channel_id"])
        limit = min(100, int(request.query.get("limit", "50")))
        found = self.timeline.get(channel_id, [])
        if "after" in request.query:
            after = int(request.query["after"])
            # Discord answers `after` with the oldest messages after it, newest first.
            oldest = [m for m in found if int(m["id"]) > after][:limit]
            return _json(list(reversed(oldest)))
        if "before" in request.query:
            before = int(request.query["before"])
            found = [m for m in found if int(m["id"]) < before]
        return _json(list(reversed(found))[:limit])
