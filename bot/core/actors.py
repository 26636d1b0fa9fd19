"""Who is asking, and what they may do: members read, moderators write their server's
developments, editors write the global catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Actor:
    """The person (or operator) behind a request, with their rights where they ask."""

    user_id: str
    name: str
    guild_id: int | None = None
    is_moderator: bool = False
    is_editor: bool = False

    @property
    def label(self) -> str:
        """How the audit trail names them."""
        return f"{self.name} ({self.user_id})"


OPERATOR = Actor(user_id="cli", name="operator", is_editor=True)


def check_visible(guild_id: int | None, viewer_guild: int | None, what: str) -> None:
    """Raise NotFound for another server's data: it must look absent, not forbidden."""
    if guild_id is not None and guild_id != viewer_guild:
        raise NotFound(f"There is no {what} here.")


def check_can_write(actor: Actor, scope_guild: int | None, what: str) -> None:
    """Editors write global data; a server's moderators write that server's data."""
    if scope_guild is None:
        if not actor.is_editor:
            raise PermissionDenied(
                f"Only editors of the bot can change the global catalogue ({what})."
            )
        return
    check_visible(scope_guild, actor.guild_id, what)
    if not actor.is_moderator:
        raise PermissionDenied(
            "Only this server's moderators (Manage Server, or the moderator role set with "
            f"/settings) can change its {what}."
        )


def default_scope(actor: Actor, requested: str | None) -> int | None:
    """The scope (guild id, None for global) a new development or assessment goes to."""
    if requested == "global":
        if not actor.is_editor:
            raise PermissionDenied("Only editors of the bot can add to the global catalogue.")
        return None
    if requested == "server" or (requested is None and actor.is_moderator and actor.guild_id):
        if actor.guild_id is None:
            raise PermissionDenied("A server scope needs a server: use this inside one.")
        check_can_write(actor, actor.guild_id, "developments")
        return actor.guild_id
    if actor.is_editor:
        return None
    raise PermissionDenied(
        "Only moderators (Manage Server, or the moderator role set with /settings) and "
        "editors can do this."
    )
