"""Queries for per-server settings."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, Writer


@dataclass(frozen=True)
class GuildSettings:
    """A server's settings; None means 'use the default'."""

    guild_id: int
    timezone: str | None = None
    moderator_role_id: int | None = None
    language: str | None = None


async def get_guild_settings(db: Database, guild_id: int) -> GuildSettings:
    """The server's settings (defaults when never set)."""
    row = await db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
    if row is None:
        return GuildSettings(guild_id)
    return GuildSettings(guild_id, row["timezone"], row["moderator_role_id"], row["language"])


async def put_guild_settings(w: Writer, s: GuildSettings, *, actor: str, at: str) -> None:
    """Insert or replace a server's settings."""
    await w.execute(
        "INSERT INTO guild_settings (guild_id, timezone, moderator_role_id, language, "
        "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
        "timezone = excluded.timezone, moderator_role_id = excluded.moderator_role_id, "
        "language = excluded.language, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (s.guild_id, s.timezone, s.moderator_role_id, s.language, actor, at),
    )
