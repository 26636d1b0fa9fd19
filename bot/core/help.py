"""Which commands a person may use, with one example each (for /about and /help).

Rights follow bot/core/actors.py: everyone reads; a server's moderators curate that
server's developments, assessments, digests and settings; editors (EDITOR_IDS) also write
the global catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.actors import Actor
from bot.domain.wording import N_

Audience = Literal["everyone", "moderators", "editors"]
AUDIENCE_TITLES: dict[Audience, str] = {
    "everyone": N_("Everyone"),
    "moderators": N_("Moderators of this server"),
    "editors": N_("Editors of the global catalogue"),
}


@dataclass(frozen=True)
class CommandHelp:
    """One command: what it does and an example to copy."""

    audience: Audience
    example: str
    what: str


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp(
        "everyone", "/brief topic:japan-korea", N_("bottom line, key developments, sources")
    ),
    CommandHelp(
        "everyone", "/timeline topic:trilateral chart:True", N_("in date order, with a chart")
    ),
    CommandHelp("everyone", "/search query:export controls", N_("best match first")),
    CommandHelp(
        "everyone",
        "/ask question:Did Japan lift the export controls?",
        N_("an answer quoted from the catalogue, with its sources"),
    ),
    CommandHelp("everyone", "/development show id:2", N_("one development with its sources")),
    CommandHelp("everyone", "/help", N_("the commands you can use")),
    CommandHelp("moderators", "/development add", N_("a form: text, then countries and domain")),
    CommandHelp("moderators", "/development edit id:13", N_("the same form, prefilled")),
    CommandHelp(
        "moderators", "/development retract id:13 reason:Duplicate", N_("hide it, keep it")
    ),
    CommandHelp("moderators", "/development history id:13", N_("who changed what")),
    CommandHelp("moderators", "/assessment set topic:japan-korea", N_("bottom line and trend")),
    CommandHelp(
        "moderators",
        "/subscribe topics:trilateral include:chips domains:economy",
        "weekly digests here, filtered",
    ),
    CommandHelp("moderators", "/subscriptions", N_("this server's digests and filters")),
    CommandHelp("moderators", "/digest preview", N_("the next digest, only to you")),
    CommandHelp("moderators", "/digest send-now", N_("deliver this period's digest now")),
    CommandHelp("moderators", "/unsubscribe", N_("stop this channel's digests")),
    CommandHelp(
        "moderators", "/settings timezone:Asia/Seoul", N_("time zone, moderator role, language")
    ),
    CommandHelp("editors", "/development add scope:global", N_("add to every server's catalogue")),
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
