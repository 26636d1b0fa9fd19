"""A scope's own settings (time zone, moderator role, language), as stored."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.scope import Scope


@dataclass(frozen=True)
class ScopeSettings:
    """A server's (or chat's) settings; None means 'use the default'."""

    scope: Scope
    timezone: str | None = None
    moderator_role_id: int | None = None
    language: str | None = None
