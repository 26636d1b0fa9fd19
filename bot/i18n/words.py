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

#: The names of the fields a refusal points at (`InvalidInput.field`), shown through `tr`.
FIELDS: tuple[str, ...] = (
    N_("usage"),
    N_("title"),
    N_("summary"),
    N_("date"),
    N_("from"),
    N_("to"),
    N_("time"),
    N_("timezone"),
    N_("weekday"),
    N_("language"),
    N_("sources"),
    N_("countries"),
    N_("domain"),
    N_("domains"),
    N_("tags"),
    N_("importance"),
    N_("kind"),
    N_("trend"),
    N_("reason"),
    N_("query"),
    N_("period"),
    N_("channel"),
    N_("topics"),
    N_("include"),
    N_("exclude"),
    N_("keywords"),
    N_("every"),
    N_("id"),
    N_("url"),
    N_("where"),
    N_("cadence"),
)
