"""Injectable time now lives in `bot.domain.clock`; this name stays for code written
against it (new code imports `bot.domain.clock`)."""

from bot.domain.clock import *  # noqa: F403 (a re-export of the whole module)
