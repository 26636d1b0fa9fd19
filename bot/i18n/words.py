"""The fixed English words the bot shows for stored values, marked for translation.

Domains, kinds, trends, cadences, brief periods and revision actions are stored and typed
in English; templates show them through the `tr` filter, which looks them up here (a test
checks that every value the domain defines is listed)."""

from __future__ import annotations

from bot.domain.wording import N_

WORDS: tuple[str, ...] = (
    # domains
    N_("security"),
    N_("economy"),
    N_("diplomacy"),
    N_("society"),
    # kinds
    N_("event"),
    N_("indicator"),
    N_("analysis"),
    # trends
    N_("improving"),
    N_("unchanged"),
    N_("deteriorating"),
    # cadences
    N_("weekly"),
    N_("daily"),
    # brief periods
    N_("last 7 days"),
    N_("last 30 days"),
    N_("last 90 days"),
    N_("last year"),
    N_("all time"),
    # revision actions
    N_("create"),
    N_("edit"),
    N_("retract"),
)
