"""What the moderators are told when the bot pauses one of their feeds: one wording for
every front end, each giving its own command syntax and escaping."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.feeds import Feed
from bot.i18n import gettext as _


def pause_notice(feed: Feed, command: str, escape: Callable[[str], str]) -> str:
    """The notice, in the current locale: the feed, why it was paused, and `command` (the
    front end's own way to resume it). Text from the feed goes through `escape`."""
    return _(
        "Feed #{id} · {title} was paused: {reason}\n"
        "Its candidates stay in the queue. Once it works again, resume it with {command}"
    ).format(
        command=command,
        id=feed.id,
        title=escape(feed.title),
        reason=escape(feed.pause_reason or ""),
    )
