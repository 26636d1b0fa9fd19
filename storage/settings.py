"""Queries for per-scope settings (a Discord server's or a Telegram chat's)."""

from __future__ import annotations

from bot.domain.scope import Scope
from bot.domain.settings import ScopeSettings
from storage.contract import Db, DbWriter


async def get_scope_settings(db: Db, scope: Scope) -> ScopeSettings:
    """The scope's settings (defaults when never set)."""
    row = await db.fetchone(
        "SELECT * FROM scope_settings WHERE platform = ? AND scope_id = ?",
        (scope.platform, scope.id),
    )
    if row is None:
        return ScopeSettings(scope)
    return ScopeSettings(scope, row["timezone"], row["moderator_role_id"], row["language"])


async def put_scope_settings(w: DbWriter, s: ScopeSettings, *, actor: str, at: str) -> None:
    """Insert or replace a scope's settings."""
    await w.execute(
        "INSERT INTO scope_settings (platform, scope_id, timezone, moderator_role_id, language, "
        "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (platform, scope_id) DO UPDATE SET "
        "timezone = excluded.timezone, moderator_role_id = excluded.moderator_role_id, "
        "language = excluded.language, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (s.scope.platform, s.scope.id, s.timezone, s.moderator_role_id, s.language, actor, at),
    )
