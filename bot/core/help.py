"""Which commands a person may use, with one example each (for /about and /help).

Rights follow bot/core/actors.py: everyone reads; a server's moderators curate that
server's developments, assessments, digests and settings; editors (EDITOR_IDS) also write
the global catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.actors import Actor

Audience = Literal["everyone", "moderators", "editors"]
AUDIENCE_TITLES: dict[Audience, str] = {
    "everyone": "Everyone",
    "moderators": "Moderators of this server",
    "editors": "Editors of the global catalogue",
}


@dataclass(frozen=True)
class CommandHelp:
    """One command: what it does and an example to copy."""

    audience: Audience
    example: str
    what: str


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("everyone", "/brief topic:japan-korea", "bottom line, key developments, sources"),
    CommandHelp("everyone", "/timeline topic:trilateral chart:True", "in date order, with a chart"),
    CommandHelp("everyone", "/search query:export controls", "best match first"),
    CommandHelp("everyone", "/development show id:2", "one development with its sources"),
    CommandHelp("everyone", "/help", "the commands you can use"),
    CommandHelp("moderators", "/development add", "a form: text, then countries and domain"),
    CommandHelp("moderators", "/development edit id:13", "the same form, prefilled"),
    CommandHelp("moderators", "/development retract id:13 reason:Duplicate", "hide it, keep it"),
    CommandHelp("moderators", "/development history id:13", "who changed what"),
    CommandHelp("moderators", "/assessment set topic:japan-korea", "bottom line and trend"),
    CommandHelp(
        "moderators",
        "/subscribe topics:trilateral include:chips domains:economy",
        "weekly digests here, filtered",
    ),
    CommandHelp("moderators", "/subscriptions", "this server's digests and filters"),
    CommandHelp("moderators", "/digest preview", "the next digest, only to you"),
    CommandHelp("moderators", "/digest send-now", "deliver this period's digest now"),
    CommandHelp("moderators", "/unsubscribe", "stop this channel's digests"),
    CommandHelp("moderators", "/settings timezone:Asia/Seoul", "time zone, moderator role"),
    CommandHelp("editors", "/development add scope:global", "add to every server's catalogue"),
    CommandHelp(
        "editors", "/assessment set topic:trilateral scope:global", "the global bottom line"
    ),
)


def audiences_for(actor: Actor) -> tuple[Audience, ...]:
    """The groups of commands open to the actor where they ask."""
    found: list[Audience] = ["everyone"]
    if actor.is_moderator and actor.scope is not None:
        found.append("moderators")
    if actor.is_editor:
        found.append("editors")
    return tuple(found)


def commands_for(actor: Actor) -> list[tuple[str, list[CommandHelp]]]:
    """(group title, its commands) for every group the actor may use, everyone's first."""
    return [
        (AUDIENCE_TITLES[a], [c for c in COMMANDS if c.audience == a]) for a in audiences_for(actor)
    ]
