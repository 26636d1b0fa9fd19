"""A server's (or chat's) settings: reading them, and changing them (moderators only)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import i18n
from bot.core.actors import Actor, require_moderator
from bot.domain.clock import Clock, iso_utc, system_clock
from bot.domain.errors import InvalidInput
from bot.domain.scope import Scope
from bot.domain.settings import ScopeSettings
from bot.i18n import gettext as _
from storage.contract import Db
from storage.settings import get_scope_settings, put_scope_settings

__all__ = [
    "ScopeSettings",
    "ScopeSettingsService",
    "SettingsChange",
    "check_language",
    "check_timezone",
    "language_of",
]


def check_timezone(name: str) -> str:
    """An IANA zone name, or a refusal naming the valid form."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "timezone",
            _(
                "{name!r} is not an IANA time zone; use a name like Asia/Seoul, America/New_York or UTC"
            ).format(name=name[:40]),
        ) from None
    return name


def check_language(code: str) -> str:
    """One of the bot's languages (en, ja, ko), or a refusal listing them."""
    language = code.strip().lower()
    if language not in i18n.LOCALES:
        raise InvalidInput(
            "language",
            _("{code!r} is not a language of the bot; use one of {languages}").format(
                code=code[:20], languages=", ".join(i18n.LOCALES)
            ),
        )
    return language


async def language_of(db: Db, scope: Scope | None) -> str | None:
    """The language a server or chat set with `/settings language` (None: English, also
    for the global catalogue): what its digests and other posts are written in."""
    if scope is None:
        return None
    return (await get_scope_settings(db, scope)).language


@dataclass(frozen=True)
class SettingsChange:
    """The settings after a change, and whether anything changed."""

    settings: ScopeSettings
    changed: bool


class ScopeSettingsService:
    """/settings and what other services read from a scope's settings."""

    def __init__(self, db: Db, clock: Clock = system_clock, default_timezone: str = "UTC") -> None:
        self.db = db
        self.clock = clock
        self.default_timezone = default_timezone

    async def get(self, scope: Scope) -> ScopeSettings:
        """The scope's settings (defaults when never set)."""
        return await get_scope_settings(self.db, scope)

    async def timezone(self, scope: Scope) -> str:
        """The scope's time zone, else the bot's default."""
        return (await self.get(scope)).timezone or self.default_timezone

    async def moderator_role_id(self, scope: Scope) -> int | None:
        """The role whose members count as moderators of a Discord server, if one is set."""
        return (await self.get(scope)).moderator_role_id

    async def update(
        self,
        actor: Actor,
        *,
        timezone: str | None = None,
        moderator_role_id: int | None = None,
        language: str | None = None,
    ) -> SettingsChange:
        """Change the actor's scope's settings (None leaves a setting as it is)."""
        if timezone is not None:
            check_timezone(timezone)
        if language is not None:
            check_language(language)
        scope = require_moderator(actor)
        current = await self.get(scope)
        changed = replace(
            current,
            timezone=timezone or current.timezone,
            moderator_role_id=moderator_role_id or current.moderator_role_id,
            language=language or current.language,
        )
        if changed == current:
            return SettingsChange(current, changed=False)
        async with self.db.transaction() as w:
            await put_scope_settings(w, changed, actor=actor.label, at=iso_utc(self.clock()))
        return SettingsChange(changed, changed=True)
