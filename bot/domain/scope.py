"""Where a server's (or chat's) own data lives: one Discord server or one Telegram chat.

`None` stands for the global catalogue, which every scope sees. A scope never sees another
scope's data, across platforms too: Discord server 5 and Telegram chat 5 are unrelated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["discord", "telegram"]
PLATFORMS: tuple[Platform, ...] = ("discord", "telegram")
#: how each platform is named to people (proper nouns: never translated)
PLATFORM_NAMES: dict[str, str] = {"discord": "Discord", "telegram": "Telegram"}
ChatKind = Literal["private", "group", "supergroup"]
_TELEGRAM_PREFIX = "telegram:"
_SUPERGROUP_BELOW = -1_000_000_000_000  # supergroup and channel ids are -100 followed by 10+ digits
_ID_LIMIT = 2**63  # SQLite INTEGER


@dataclass(frozen=True, order=True)
class Scope:
    """A Discord server (positive snowflake) or a Telegram chat (users positive, groups
    negative, supergroups and channels -100…)."""

    platform: Platform
    id: int

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}")
        if not -_ID_LIMIT < self.id < _ID_LIMIT or self.id == 0:
            raise ValueError(f"{self.id} is not a {self.platform} id")
        if self.platform == "discord" and self.id < 0:
            raise ValueError("a Discord server id is positive")

    @classmethod
    def discord(cls, guild_id: int) -> Scope:
        """A Discord server."""
        return cls("discord", guild_id)

    @classmethod
    def telegram(cls, chat_id: int) -> Scope:
        """A Telegram chat: private (positive), group (negative) or supergroup/channel (-100…)."""
        return cls("telegram", chat_id)

    @property
    def chat_kind(self) -> ChatKind | None:
        """For a Telegram chat, what its id says it is: a private chat with a user
        (positive), a basic group (negative) or a supergroup or channel (-100…)."""
        if self.platform != "telegram":
            return None
        if self.id > 0:
            return "private"
        return "supergroup" if self.id <= _SUPERGROUP_BELOW else "group"

    def key(self) -> str:
        """The text form of exports and revision snapshots: a Discord server is its bare id
        (as before Telegram existed), a Telegram chat is `telegram:<chat id>`."""
        return str(self.id) if self.platform == "discord" else f"{_TELEGRAM_PREFIX}{self.id}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        """The inverse of `key` (ValueError when `text` is neither form)."""
        if text.startswith(_TELEGRAM_PREFIX):
            return cls.telegram(int(text.removeprefix(_TELEGRAM_PREFIX)))
        if not text.isdigit():
            raise ValueError(f"{text[:30]!r} is not a scope")
        return cls.discord(int(text))


def scope_key(scope: Scope | None) -> str:
    """'global' for the shared catalogue, else the scope's `key`."""
    return "global" if scope is None else scope.key()


def scope_of(platform: str | None, scope_id: int | None) -> Scope | None:
    """The scope of a stored row's (platform, id) columns; None for a global row."""
    if scope_id is None:
        return None
    return Scope("telegram" if platform == "telegram" else "discord", scope_id)


def scope_columns(scope: Scope | None) -> tuple[str | None, int | None]:
    """The (platform, id) column values of a scope; (None, None) for global."""
    return (None, None) if scope is None else (scope.platform, scope.id)
