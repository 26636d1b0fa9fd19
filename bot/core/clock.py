"""Injectable time now lives in `bot.domain.clock`; this name stays for code written
against it (new code imports `bot.domain.clock`)."""

from bot.domain.clock import Clock, iso_utc, parse_utc, system_clock, today

__all__ = ["Clock", "iso_utc", "parse_utc", "system_clock", "today"]
