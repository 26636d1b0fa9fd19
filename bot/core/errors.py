"""The domain errors now live in `bot.domain.errors`; this name stays for code written
against it (new code imports `bot.domain.errors`)."""

from bot.domain.errors import *  # noqa: F403 (a re-export of the whole module)
