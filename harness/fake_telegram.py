"""A loopback fake of Telegram's Bot API (127.0.0.1 only) for the real python-telegram-bot.

It speaks the Bot API over HTTP (`POST /bot<token>/<method>`, form or JSON parameters) and
refuses what Telegram refuses, so a test fails where Telegram would:

* `parse_mode=HTML` text with unclosed, misnested or unknown tags, a bare `<` or `&`, or an
  entity other than `&lt; &gt; &amp; &quot;` and numeric ones: 400 "can't parse entities";
* text that is empty, or longer than 4,096 characters after entity parsing: 400;
* a `parse_mode` other than HTML, MarkdownV2 or Markdown; a `<span>` without
  `class="tg-spoiler"`; a link whose scheme is not http(s), tg, mailto or ftp (e.g.
  `javascript:`): 400;
* inline keyboards Telegram refuses: a button without an action or with several,
  `callback_data` empty or over 64 bytes, a `url` that is not http(s)/tg: 400;
* `setMyCommands` with more than 100 commands, a command not of 1–32 characters of
  a–z, 0–9 and `_`, a description not of 1–256 characters, or a `language_code` that is
  not two lowercase letters (or empty): 400;
* `answerCallbackQuery` text over 200 characters; `answerInlineQuery` with more than 50
  results, a result id empty, over 64 bytes or repeated, or `next_offset` over 64 bytes: 400;
* rate limits: more than `global_limit` messages in any second, more than `group_limit`
  in any `group_window` seconds to one group, more than `chat_limit` in any second to one
  chat: 429 with `retry_after`; a test can also ask for 429s with `fail_next`;
* a second `getUpdates` while one is still waiting: the waiting one is ended with 409
  "Conflict: terminated by other getUpdates request" (only one poller per bot; counted in
  `conflicts`);
* chats told to answer 403 "bot was blocked by the user" / "bot was kicked", 400 "chat not
  found", or 400 with `migrate_to_chat_id` (a group upgraded to a supergroup).

Tests inject updates (messages and commands, callback queries, inline queries) that the bot
fetches with `getUpdates`; everything a chat saw is recorded in `sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "BriefTestBot"
TOKEN = "7000001:TEST-token"
CONFLICT = 409
CONFLICT_TEXT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
# Limits from the Bot API documentation (https://core.telegram.org/bots/api).
MESSAGE_MAX = 4096
CALLBACK_DATA_MAX = 64  # bytes
CALLBACK_TEXT_MAX = 200
COMMANDS_MAX = 100
COMMAND_DESCRIPTION_MAX = 256
INLINE_RESULTS_MAX = 50
RESULT_ID_MAX = 64  # bytes
NEXT_OFFSET_MAX = 64  # bytes
KEYBOARD_BUTTONS_MAX = 100
PARSE_MODES = ("HTML", "MarkdownV2", "Markdown")
LINK_SCHEMES = ("http", "https", "tg", "mailto", "ftp")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
#: an inline keyboard button's actions: exactly one of them
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=\"[^\"<>]*\"|='[^'<>]*')?)*)\s*>"
)
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:=\"([^\"<>]*)\"|='([^'<>]*)')?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
ERRORS = {
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "kicked": (403, "Forbidden: bot was kicked from the group chat"),
    "not_found": (400, "Bad Request: chat not found"),
    # a member who never opened a private chat with the bot
    "never_started": (403, "Forbidden: bot can't initiate conversation with a user"),
}


class HtmlError(ValueError):
    """Telegram's "can't parse entities" refusal."""


def parse_html(text: str) -> str:
    """The plain text Telegram would show for `text` in HTML mode, or HtmlError."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise HtmlError(f"Unsupported start tag at byte offset {i}")
            closing, name = match[1] == "/", match[2].lower()
            if name not in ALLOWED_TAGS:
                raise HtmlError(f'Unsupported start tag "{name}" at byte offset {i}')
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlError(
                        f'Unmatched end tag at byte offset {i}, expected "</{stack[-1] if stack else ""}>"'
                    )
                stack.pop()
            else:
                _check_attributes(name, match[3], i)
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise HtmlError(f"Unsupported HTML entity at byte offset {i}")
            body = match[1]
            if body.startswith("#x"):
                out.append(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.append(chr(int(body[1:])))
            else:
                out.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[body])
            i = match.end()
        elif ch == ">":
            # Telegram tolerates a bare '>' in practice, but our renderer must escape it.
            raise HtmlError(f"Unexpected '>' at byte offset {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _check_attributes(name: str, text: str, offset: int) -> None:
    attributes = {
        m[1].lower(): _unescape(m[2] if m[2] is not None else (m[3] or ""))
        for m in _ATTRIBUTE.finditer(text)
    }
    if name == "a":
        if "href" not in attributes:
            raise HtmlError("Can't find end of href")
        href = attributes["href"].strip()
        scheme = (
            href.split(":", 1)[0].lower() if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", href) else ""
        )
        if scheme and scheme not in LINK_SCHEMES:
            raise HtmlError(f'Unsupported URL protocol "{scheme}" at byte offset {offset}')
    elif name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlError(f'Unsupported start tag "span" at byte offset {offset}')


def _unescape(text: str) -> str:
    return _ENTITY.sub(
        lambda m: (
            chr(int(m[1][2:], 16))
            if m[1].startswith("#x")
            else chr(int(m[1][1:]))
            if m[1].startswith("#")
            else {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[m[1]]
        ),
        text,
    )


def keyboard_problem(markup: Any) -> str | None:
    """Telegram's refusal of a reply_markup's inline keyboard, or None when it is fine."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return 'Bad Request: can\'t parse inline keyboard: field "inline_keyboard" must be an Array of Arrays'
    if sum(len(r) for r in rows) > KEYBOARD_BUTTONS_MAX:
        return "Bad Request: reply markup is too long"
    for row in rows:
        for button in row:
            if not str(button.get("text") or ""):
                return "Bad Request: can't parse inline keyboard button: Text must be non-empty"
            actions = [a for a in BUTTON_ACTIONS if a in button]
            if not actions:
                return (
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                return (
                    "Bad Request: can't parse inline keyboard button: "
                    f"exactly one of {', '.join(actions)} must be specified"
                )
            if "callback_data" in button:
                data = str(button["callback_data"]).encode()
                if not 1 <= len(data) <= CALLBACK_DATA_MAX:
                    return "Bad Request: BUTTON_DATA_INVALID"
            if "url" in button:
                scheme = str(button["url"]).split(":", 1)[0].lower()
                if scheme not in ("http", "https", "tg"):
                    return "Bad Request: BUTTON_URL_INVALID"
    return None


def commands_problem(params: dict[str, Any]) -> str | None:
    """Telegram's refusal of a setMyCommands call, or None when it is fine."""
    language = str(params.get("language_code") or "")
    if language and not _LANGUAGE.fullmatch(language):
        return "Bad Request: LANG_CODE_INVALID"
    menu = _json_value(params.get("commands", "[]"))
    if not isinstance(menu, list):
        return "Bad Request: can't parse commands JSON object"
    if len(menu) > COMMANDS_MAX:
        return "Bad Request: BOT_COMMANDS_TOO_MUCH"
    for command in menu:
        if not _COMMAND.fullmatch(str(command.get("command") or "")):
            return "Bad Request: BOT_COMMAND_INVALID"
        description = str(command.get("description") or "").strip()
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            return "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
    return None


def inline_results_problem(params: dict[str, Any], results: Any) -> str | None:
    """Telegram's refusal of an answerInlineQuery's results (apart from their texts)."""
    if not isinstance(results, list):
        return "Bad Request: can't parse results JSON object"
    if len(results) > INLINE_RESULTS_MAX:
        return "Bad Request: RESULTS_TOO_MUCH"
    if len(str(params.get("next_offset") or "").encode()) > NEXT_OFFSET_MAX:
        return "Bad Request: NEXT_OFFSET_INVALID"
    seen: set[str] = set()
    for result in results:
        result_id = str(result.get("id") or "")
        if not 1 <= len(result_id.encode()) <= RESULT_ID_MAX:
            return "Bad Request: RESULT_ID_INVALID"
        if result_id in seen:
            return "Bad Request: RESULT_ID_DUPLICATE"
        seen.add(result_id)
        if result.get("type") == "article" and not str(result.get("title") or ""):
            return "Bad Request: RESULT_TITLE_EMPTY"
        problem = keyboard_problem(result.get("reply_markup"))
        if problem is not None:
            return problem
    return None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Sent:
    """One message the bot sent (and its later edits)."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    link_preview_off: bool
    plain: str
    edits: int = 0


@dataclass
class FakeTelegram:
    """The server's state; `start()` serves it on an ephemeral loopback port."""

    token: str = TOKEN
    global_limit: int | None = 30
    group_limit: int | None = 20
    group_window: float = 60.0
    chat_limit: int | None = 3
    poll_cap: float = 0.3
    after_send: Callable[[Sent], None] | None = None

    sent: dict[int, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[tuple[int, int], str] = field(default_factory=dict)
    faults: dict[int, str] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    fail_next: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    commands: list[dict[str, Any]] = field(default_factory=list)
    #: the default scope's menus per `language_code` ("" = the default menu, also in `commands`)
    menus: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: every menu set, per (scope type, `language_code`): "default", "all_private_chats" …
    scoped_menus: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    #: user id → the `language_code` their app sends (none when absent)
    languages: dict[int, str] = field(default_factory=dict)
    inline_answers: list[dict[str, Any]] = field(default_factory=list)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[tuple[str, int, str]] = field(default_factory=list)
    rate_limited: int = 0
    #: getUpdates requests ended by another one (two pollers of one bot)
    conflicts: int = 0

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._global: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # The getUpdates waiting now, as a one-element list its successor marks as ended.
        self._poll: list[bool] | None = None
        self.base_url = ""

    # --- serving ---------------------------------------------------------------------------

    async def start(self) -> str:
        """Serve on 127.0.0.1; returns the base URL up to the token (PTB's `base_url`)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            response: web.Response = await handler(params)
        finally:
            async with self._changed:
                self._changed.notify_all()
        return response

    # --- what tests use --------------------------------------------------------------------

    def add_chat(self, chat_id: int, kind: str, title: str | None = None) -> dict[str, Any]:
        """Declare a chat: private (id = user id), group, supergroup or channel."""
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = title or f"user{chat_id}"
        else:
            chat["title"] = title or f"chat {chat_id}"
        self.chats[chat_id] = chat
        return chat

    def user(self, user_id: int, name: str | None = None) -> dict[str, Any]:
        """A user object."""
        user = {"id": user_id, "is_bot": False, "first_name": name or f"user{user_id}"}
        if user_id in self.languages:
            user["language_code"] = self.languages[user_id]
        return user

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return self.chats.get(chat_id) or self.add_chat(
            chat_id, "private" if chat_id > 0 else "group"
        )

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        task = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return update_id

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def message(self, chat_id: int, user_id: int, text: str) -> int:
        """A user writes `text` in a chat; a leading /command gets its bot_command entity."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0].split("\n", 1)[0])
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push({"message": msg})

    def migrate(self, old_id: int, new_id: int, user_id: int) -> int:
        """Telegram's service message in a group upgraded to a supergroup; from then on,
        sending to the old id answers 400 with migrate_to_chat_id."""
        self.migrated[old_id] = new_id
        self.add_chat(new_id, "supergroup", self._chat(old_id).get("title"))
        return self.push(
            {
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": self._chat(old_id),
                    "from": self.user(user_id),
                    "migrate_to_chat_id": new_id,
                }
            }
        )

    def bot_removed(self, chat_id: int, user_id: int) -> int:
        """The bot is removed from a chat (or blocked in a private chat): my_chat_member."""
        self.faults[chat_id] = "blocked" if chat_id > 0 else "kicked"
        return self.push(
            {
                "my_chat_member": {
                    "chat": self._chat(chat_id),
                    "from": self.user(user_id),
                    "date": int(time.time()),
                    "old_chat_member": {"status": "member", "user": self.bot_user()},
                    "new_chat_member": {
                        "status": "kicked",
                        "user": self.bot_user(),
                        "until_date": 0,
                    },
                }
            }
        )

    def press(self, chat_id: int, user_id: int, message_id: int, data: str) -> int:
        """A user presses an inline keyboard button of a message the bot sent."""
        sent = self.find(chat_id, message_id)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user(),
            "text": sent.plain if sent else "",
        }
        return self.push(
            {
                "callback_query": {
                    "id": str(next(self._update_ids) * 7919),
                    "from": self.user(user_id),
                    "chat_instance": str(chat_id),
                    "message": message,
                    "data": data,
                }
            }
        )

    def inline(self, user_id: int, query: str) -> int:
        """A user types `@BotName query` in any chat."""
        return self.push(
            {
                "inline_query": {
                    "id": str(next(self._update_ids) * 104729),
                    "from": self.user(user_id),
                    "query": query,
                    "offset": "",
                }
            }
        )

    def find(self, chat_id: int, message_id: int) -> Sent | None:
        """A message the bot sent to a chat."""
        return next((s for s in self.sent.get(chat_id, []) if s.message_id == message_id), None)

    def texts(self, chat_id: int) -> list[str]:
        """What a chat saw, as plain text, in order."""
        return [s.plain for s in self.sent.get(chat_id, [])]

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `check()` is truthy (re-checked on every API call); its value."""

        async def loop() -> Any:
            async with self._changed:
                while not (value := check()):
                    await self._changed.wait()
                return value

        return await asyncio.wait_for(loop(), timeout)

    async def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[Sent]:
        """Wait until a chat has received at least `count` messages; all of them."""
        await self.wait_for(lambda: len(self.sent.get(chat_id, [])) >= count, timeout)
        return self.sent[chat_id]

    def bot_user(self) -> dict[str, Any]:
        """The bot's own user object."""
        return {"id": BOT_ID, "is_bot": True, "first_name": "Brief", "username": BOT_USERNAME}

    # --- refusals --------------------------------------------------------------------------

    def _refuse_chat(self, chat_id: int) -> web.Response | None:
        if chat_id in self.migrated:
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        fault = self.faults.get(chat_id)
        if fault is not None:
            status, text = ERRORS[fault]
            return _error(status, text)
        return None

    def _rate(self, chat_id: int) -> web.Response | None:
        forced = self.fail_next.get(chat_id)
        if forced:
            self.rate_limited += 1
            return _error(429, "Too Many Requests: retry after", retry_after=forced.pop(0))
        now = time.monotonic()
        window = self._global
        while window and now - window[0] >= 1.0:
            window.popleft()
        per_chat = self._per_chat[chat_id]
        group = self._chat(chat_id)["type"] in ("group", "supergroup")
        span = self.group_window if group else 1.0
        while per_chat and now - per_chat[0] >= max(span, 1.0):
            per_chat.popleft()
        recent = sum(1 for t in per_chat if now - t < 1.0)
        if self.global_limit is not None and len(window) >= self.global_limit:
            return self._limited(1)
        if group and self.group_limit is not None and len(per_chat) >= self.group_limit:
            return self._limited(int(span - (now - per_chat[0])) + 1)
        if self.chat_limit is not None and recent >= self.chat_limit:
            return self._limited(1)
        window.append(now)
        per_chat.append(now)
        return None

    def _limited(self, retry_after: int) -> web.Response:
        self.rate_limited += 1
        return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def _check_text(self, params: dict[str, Any], key: str = "text") -> tuple[str, str] | str:
        """(text, plain) or the refusal's description."""
        text = str(params.get(key, ""))
        plain = text
        mode = params.get("parse_mode")
        if mode and mode not in PARSE_MODES:
            return f"Bad Request: unsupported parse_mode {mode!r}"
        if mode == "HTML":
            try:
                plain = parse_html(text)
            except HtmlError as error:
                return f"Bad Request: can't parse entities: {error}"
        if not plain.strip():
            return "Bad Request: message text is empty"
        if utf16_len(plain) > MESSAGE_MAX:
            return "Bad Request: message is too long"
        problem = keyboard_problem(_json_value(params.get("reply_markup", "null")))
        if problem is not None:
            return problem
        return text, plain

    # --- API methods -----------------------------------------------------------------------

    async def api_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok(
            {
                **self.bot_user(),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": True,
            }
        )

    async def api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def api_setMyCommands(self, params: dict[str, Any]) -> web.Response:
        problem = commands_problem(params)
        if problem is not None:
            self.refusals.append(("setMyCommands", 0, problem))
            return _error(400, problem)
        menu = _json_value(params.get("commands", "[]"))
        language = str(params.get("language_code") or "")
        scope = str((_json_value(params.get("scope", "null")) or {}).get("type", "default"))
        self.scoped_menus[(scope, language)] = menu
        if scope != "default":
            return _ok(True)
        self.menus[language] = menu
        if not language:
            self.commands = menu
        return _ok(True)

    async def api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        # Telegram serves one poller per bot: a new request ends the one still waiting.
        ended: list[bool] = [False]
        if self._poll is not None:
            self._poll[0] = True
            self.conflicts += 1
            await self._notify()
        self._poll = ended
        try:
            offset = int(params.get("offset") or 0)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            timeout = min(float(params.get("timeout") or 0), self.poll_cap)
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await self.wait_for(lambda: self._updates or ended[0], timeout)
            if ended[0]:
                return _error(CONFLICT, CONFLICT_TEXT)
            return _ok(list(self._updates[: int(params.get("limit") or 100)]))
        finally:
            if self._poll is ended:
                self._poll = None

    async def api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        refused = self._refuse_chat(chat_id) or self._rate(chat_id)
        if refused is not None:
            return refused
        checked = self._check_text(params)
        if isinstance(checked, str):
            self.refusals.append(("sendMessage", chat_id, checked))
            return _error(400, checked)
        text, plain = checked
        preview = _json_value(params.get("link_preview_options", "{}")) or {}
        sent = Sent(
            message_id=next(self._message_ids),
            chat_id=chat_id,
            text=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=_json_value(params.get("reply_markup", "null")),
            link_preview_off=bool(preview.get("is_disabled"))
            or params.get("disable_web_page_preview") in ("true", True),
            plain=plain,
        )
        self.sent[chat_id].append(sent)
        if self.after_send is not None:
            self.after_send(sent)
        return _ok(self._message(sent))

    async def api_editMessageText(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        sent = self.find(chat_id, int(params["message_id"]))
        if sent is None:
            return _error(400, "Bad Request: message to edit not found")
        checked = self._check_text(params)
        if isinstance(checked, str):
            self.refusals.append(("editMessageText", chat_id, checked))
            return _error(400, checked)
        if checked[0] == sent.text and params.get("reply_markup") is None:
            return _error(400, "Bad Request: message is not modified")
        sent.text, sent.plain = checked
        sent.reply_markup = _json_value(params.get("reply_markup", "null"))
        sent.edits += 1
        return _ok(self._message(sent))

    async def api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        if utf16_len(str(params.get("text") or "")) > CALLBACK_TEXT_MAX:
            problem = "Bad Request: MESSAGE_TOO_LONG"
            self.refusals.append(("answerCallbackQuery", 0, problem))
            return _error(400, problem)
        self.callback_answers.append(params)
        return _ok(True)

    async def api_answerInlineQuery(self, params: dict[str, Any]) -> web.Response:
        results = _json_value(params.get("results", "[]"))
        problem = inline_results_problem(params, results)
        if problem is not None:
            self.refusals.append(("answerInlineQuery", 0, problem))
            return _error(400, problem)
        for result in results:
            content = result.get("input_message_content") or {}
            checked = self._check_text(content, "message_text")
            if isinstance(checked, str):
                self.refusals.append(("answerInlineQuery", 0, checked))
                return _error(400, checked)
        self.inline_answers.append({**params, "results": results})
        return _ok(True)

    async def api_getChatMember(self, params: dict[str, Any]) -> web.Response:
        found, user_id = self.chat_id_of(str(params["chat_id"])), int(params["user_id"])
        if found is None:
            return _error(400, "Bad Request: chat not found")
        chat_id = found
        refused = self._refuse_chat(chat_id)
        if refused is not None:
            return refused
        status = self.members.get((chat_id, user_id), "member")
        user = self.bot_user() if user_id == BOT_ID else self.user(user_id)
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member |= dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                    "can_post_messages",
                ),
                True,
            )
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "restricted":
            return _error(400, "Bad Request: unsupported status in fake")
        return _ok(member)

    def chat_id_of(self, value: str) -> int | None:
        """A numeric chat id, or the id of the chat with that @username."""
        if value.startswith("@"):
            name = value[1:].lower()
            found = [
                c for c, chat in self.chats.items() if chat.get("username", "").lower() == name
            ]
            return found[0] if found else None
        return int(value)

    async def api_getChat(self, params: dict[str, Any]) -> web.Response:
        found = self.chat_id_of(str(params["chat_id"]))
        if found is None:
            return _error(400, "Bad Request: chat not found")
        chat_id = found
        refused = self._refuse_chat(chat_id)
        if refused is not None:
            return refused
        if chat_id not in self.chats:
            return _error(400, "Bad Request: chat not found")
        return _ok({**self.chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11})

    def _message(self, sent: Sent) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": self._chat(sent.chat_id),
            "from": self.bot_user(),
            "text": sent.plain,
        }
        if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
            message["reply_markup"] = sent.reply_markup  # a message carries inline keyboards only
        return message


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
