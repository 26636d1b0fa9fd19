"""Who is asking, and what they may do: members read, moderators write their server's (or
chat's) developments, editors write the global catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidInput, NotFound, PermissionDenied
from bot.domain.scope import Scope


@dataclass(frozen=True)
class Actor:
    """The person (or operator) behind a request, with their rights where they ask.

    `user_id` is the platform's user id, `scope` the server or chat they ask in (None in a
    direct message or on the command line), `is_moderator` whether they moderate that scope
    (the front end checks it with the platform), `is_editor` whether they curate the global
    catalogue.
    """

    user_id: str
    name: str
    scope: Scope | None = None
    is_moderator: bool = False
    is_editor: bool = False

    @property
    def label(self) -> str:
        """How the audit trail names them."""
        return f"{self.name} ({self.user_id})"


OPERATOR = Actor(user_id="cli", name="operator", is_editor=True)

# Who moderates a scope, in each platform's words.
_MODERATORS = {
    "discord": "this server's moderators (Manage Server, or the moderator role set with /settings)",
    "telegram": "this chat's administrators",
}


def moderators_of(scope: Scope) -> str:
    """'this server's moderators (…)' or 'this chat's administrators'."""
    return _MODERATORS[scope.platform]


def check_visible(owner: Scope | None, viewer: Scope | None, what: str) -> None:
    """Raise NotFound for another scope's data: it must look absent, not forbidden."""
    if owner is not None and owner != viewer:
        raise NotFound(f"There is no {what} here.")


def check_can_write(actor: Actor, owner: Scope | None, what: str) -> None:
    """Editors write global data; a server's moderators write that server's data."""
    if owner is None:
        if not actor.is_editor:
            raise PermissionDenied(
                f"Only editors of the bot can change the global catalogue ({what})."
            )
        return
    check_visible(owner, actor.scope, what)
    if not actor.is_moderator:
        raise PermissionDenied(f"Only {moderators_of(owner)} can change its {what}.")


def require_moderator(actor: Actor, what: str = "do this") -> Scope:
    """The actor's scope, if they moderate it: the one moderator policy of every front end."""
    if actor.scope is None:
        raise InvalidInput("where", "use this command inside a server")
    if not actor.is_moderator:
        raise PermissionDenied(f"Only {moderators_of(actor.scope)} can {what}.")
    return actor.scope


def default_scope(actor: Actor, requested: str | None) -> Scope | None:
    """The scope (None for global) a new development or assessment goes to."""
    if requested == "global":
        if not actor.is_editor:
            raise PermissionDenied("Only editors of the bot can add to the global catalogue.")
        return None
    if requested == "server" or (requested is None and actor.is_moderator and actor.scope):
        if actor.scope is None:
            raise PermissionDenied("A server scope needs a server: use this inside one.")
        check_can_write(actor, actor.scope, "developments")
        return actor.scope
    if actor.is_editor:
        return None
    raise PermissionDenied(
        "Only moderators (Manage Server, or the moderator role set with /settings) and "
        "editors can do this."
    )
