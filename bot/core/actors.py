"""Who is asking, and what they may do: members read, moderators write their server's (or
chat's) developments, editors write the global catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidInput, NotFound, PermissionDenied
from bot.domain.scope import Scope
from bot.domain.wording import N_
from bot.i18n import gettext as _


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

# Who moderates a scope, in each platform's words: whole sentences, one per case.
_MODERATORS_ONLY = {
    "discord": N_(
        "Only this server's moderators (Manage Server, or the moderator role set with "
        "/settings) can do this."
    ),
    "telegram": N_("Only this chat's administrators can do this."),
}
MODERATORS_MANAGE_SUBSCRIPTIONS = {
    "discord": N_(
        "Only this server's moderators (Manage Server, or the moderator role set with "
        "/settings) can manage digest subscriptions."
    ),
    "telegram": N_("Only this chat's administrators can manage digest subscriptions."),
}
_MODERATORS_OR_EDITORS = {
    "discord": N_(
        "Only moderators (Manage Server, or the moderator role set with /settings) and "
        "editors can do this."
    ),
    "telegram": N_("Only this chat's administrators and the bot's editors can do this."),
}
_MODERATORS_WRITE = {
    "discord": N_(
        "Only this server's moderators (Manage Server, or the moderator role set with "
        "/settings) can change its developments and assessments."
    ),
    "telegram": N_("Only this chat's administrators can change its developments and assessments."),
}


def check_visible(owner: Scope | None, viewer: Scope | None, what: str) -> None:
    """Raise NotFound for another scope's data: it must look absent, not forbidden.
    `what` names it for the reader, already translated ('development #12')."""
    if owner is not None and owner != viewer:
        raise NotFound(_("There is no {what} here.").format(what=what))


def check_can_write(actor: Actor, owner: Scope | None, what: str) -> None:
    """Editors write global data; a server's moderators write that server's data."""
    if owner is None:
        if not actor.is_editor:
            raise PermissionDenied(_("Only editors of the bot can change the global catalogue."))
        return
    check_visible(owner, actor.scope, what)
    if not actor.is_moderator:
        raise PermissionDenied(_(_MODERATORS_WRITE[owner.platform]))


def require_moderator(actor: Actor, refusals: dict[str, str] | None = None) -> Scope:
    """The actor's scope, if they moderate it: the one moderator policy of every front end.
    `refusals` words the refusal per platform (a whole sentence each, e.g.
    MODERATORS_MANAGE_SUBSCRIPTIONS); by default 'only … can do this'."""
    if actor.scope is None:
        raise InvalidInput("where", _("use this command inside a server"))
    if not actor.is_moderator:
        raise PermissionDenied(_((refusals or _MODERATORS_ONLY)[actor.scope.platform]))
    return actor.scope


def default_scope(actor: Actor, requested: str | None) -> Scope | None:
    """The scope (None for global) a new development or assessment goes to."""
    if requested == "global":
        if not actor.is_editor:
            raise PermissionDenied(_("Only editors of the bot can add to the global catalogue."))
        return None
    if requested == "server" or (requested is None and actor.is_moderator and actor.scope):
        if actor.scope is None:
            raise PermissionDenied(_("A server scope needs a server: use this inside one."))
        check_can_write(actor, actor.scope, _("developments"))
        return actor.scope
    if actor.is_editor:
        return None
    platform = actor.scope.platform if actor.scope is not None else "discord"
    raise PermissionDenied(_(_MODERATORS_OR_EDITORS[platform]))
