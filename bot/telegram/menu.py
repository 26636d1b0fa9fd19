"""Every Telegram command with its usage, description and who may use it: the one list the
command menus (setMyCommands, per scope and language), /help and the README follow.

A private chat is its user's own, so there everyone is its administrator and sees every
command; in a group, members see the reading commands and the chat's administrators (and
the bot's editors) see them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain.wording import N_

Audience = Literal["everyone", "administrators"]


@dataclass(frozen=True)
class TelegramCommand:
    """One command: its name, its arguments (translated), what it does, who may use it."""

    name: str
    usage: str
    description: str
    audience: Audience = "everyone"


COMMANDS: tuple[TelegramCommand, ...] = (
    TelegramCommand(
        "brief",
        N_("topic [period] [domain]"),
        N_("A briefing on a topic: bottom line, key developments"),
    ),
    TelegramCommand(
        "timeline", N_("topic [from] [to]"), N_("A topic's developments in date order")
    ),
    TelegramCommand("search", N_("words"), N_("Search developments, best match first")),
    TelegramCommand("ask", N_("question"), N_("Ask a question; the answer quotes the catalogue")),
    TelegramCommand("development", N_("id"), N_("One development in full, with its sources")),
    TelegramCommand("help", "", N_("What this bot does and how to use it")),
    TelegramCommand(
        "add", "[global]", N_("Add a development, step by step (administrators)"), "administrators"
    ),
    TelegramCommand(
        "edit",
        N_("id field value"),
        N_("Change one field of a development (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "retract",
        N_("id reason"),
        N_("Hide a development, keeping its history (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "history",
        N_("id"),
        N_("Who changed a development, and what (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "assess",
        N_("topic [global]"),
        N_("Set a topic's bottom line and trend (administrators)"),
        "administrators",
    ),
    TelegramCommand("cancel", "", N_("Stop adding or assessing, saving nothing"), "administrators"),
    TelegramCommand(
        "subscribe",
        N_(
            "[@channel] [topics] [daily|weekly] [weekday] [HH:MM] [zone] "
            "[include=word,word] [exclude=word] [domains=economy,security]"
        ),
        N_("Digests here or in your channel (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "unsubscribe", N_("[@channel]"), N_("Stop the digests (administrators)"), "administrators"
    ),
    TelegramCommand(
        "subscriptions",
        N_("[@channel]"),
        N_("The digest subscription and its state (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "digest",
        N_("preview|sendnow [@channel]"),
        N_("See the next digest, or send it now (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "settings",
        N_("timezone Zone | language en|ja|ko"),
        N_("This chat's time zone and language for digests (administrators)"),
        "administrators",
    ),
    TelegramCommand(
        "feed",
        N_("add URL|list|remove ID|pause ID [resume]"),
        N_("News feeds read into this chat's review queue (administrators, editors)"),
        "administrators",
    ),
    TelegramCommand(
        "queue",
        "[global]",
        N_("Candidate developments waiting for review (administrators, editors)"),
        "administrators",
    ),
)

#: What /start offers a newcomer: the three commands most people come for.
START_COMMANDS: tuple[str, ...] = ("brief", "timeline", "search")


def commands_for(*, administrator: bool) -> list[TelegramCommand]:
    """The commands a person may use where they ask: all of them for a chat's
    administrators (and in a private chat, their own), the reading ones for members."""
    return [c for c in COMMANDS if administrator or c.audience == "everyone"]


def command(name: str) -> TelegramCommand:
    """The command called `name`."""
    return next(c for c in COMMANDS if c.name == name)
