"""The domain model now lives in `bot.domain.models`; this name stays for code written
against it (new code imports `bot.domain.models`)."""

from bot.domain.models import *  # noqa: F403 (a re-export of the whole module)
