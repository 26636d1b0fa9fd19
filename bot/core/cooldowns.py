"""Rate limits for the costly commands, per person and per chat or server, in one place.

A search, a chart, an inline query (up to eight briefs) or a question costs far more than
a brief: one member repeating them could make every other member wait. Each costly
action has two allowances, one for the person and one for the place (a Discord server or
DM channel, a Telegram chat): a burst that may be used at once, then one more every few
seconds. An action over either allowance is refused with `TooSoon`, which says how many
seconds to wait; nothing is done and nothing is counted for the refused request.

Front ends call `RateLimiter.take(action, person, place)` before the work, with ids
prefixed by platform (`dc:123`, `tg:456`). The limiter is the process's (one per
`Services`), in memory: a restart forgets it, which costs at most one more burst.

The arithmetic is the generic cell rate algorithm: per key, the theoretical time at which
the allowance is full again; no timers, one float per key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.clock import Clock, system_clock
from bot.domain.errors import TooSoon


@dataclass(frozen=True)
class Allowance:
    """`burst` requests at once, then one more every `every_s` seconds."""

    burst: int
    every_s: float

    @property
    def tolerance_s(self) -> float:
        return self.every_s * (self.burst - 1)


@dataclass(frozen=True)
class Rule:
    """The allowances of one costly action: the person's, and the place's (shared by
    everyone there). The place allows more than any one person, so a single member
    flooding meets their own limit first and the others keep theirs."""

    person: Allowance
    place: Allowance


#: Costly actions and their allowances. `search`: /search; `chart`: a timeline with a chart
#: (0.3–1.4 s of CPU each); `inline`: a Telegram inline query (typing sends several, so the
#: burst is generous); `ask`: a question answered from the catalogue.
RULES: Mapping[str, Rule] = {
    "search": Rule(person=Allowance(5, 2.0), place=Allowance(20, 0.25)),
    "chart": Rule(person=Allowance(2, 15.0), place=Allowance(4, 5.0)),
    "inline": Rule(person=Allowance(12, 1.0), place=Allowance(60, 0.1)),
    "ask": Rule(person=Allowance(3, 10.0), place=Allowance(10, 2.0)),
}

KEYS_MAX = 20_000  # above this, keys whose allowance is full again are forgotten


class RateLimiter:
    """Per-person and per-place allowances of the costly actions (see the module doc)."""

    def __init__(self, clock: Clock = system_clock, rules: Mapping[str, Rule] = RULES) -> None:
        self.clock = clock
        self.rules = dict(rules)
        self._full_at: dict[tuple[str, str], float] = {}

    def take(self, action: str, person: str, place: str | None = None) -> None:
        """Count one `action` by `person` in `place`, or raise `TooSoon` (counting
        nothing) when either allowance is used up. `place` None: the person's only."""
        rule = self.rules[action]
        now = self.clock().timestamp()
        checks = [((action, f"person:{person}"), rule.person)]
        if place is not None:
            checks.append(((action, f"place:{place}"), rule.place))
        wait = 0.0
        for key, allowance in checks:
            full_at = max(self._full_at.get(key, now), now)
            over = full_at - allowance.tolerance_s - now
            # A clock stepped back cannot make anyone wait longer than a whole allowance.
            wait = max(wait, min(over, allowance.every_s * allowance.burst))
        if wait > 0:
            raise TooSoon(action, max(1, math.ceil(wait)))
        for key, allowance in checks:
            self._full_at[key] = max(self._full_at.get(key, now), now) + allowance.every_s
        if len(self._full_at) > KEYS_MAX:
            self._forget(now)

    def _forget(self, now: float) -> None:
        self._full_at = {k: v for k, v in self._full_at.items() if v > now}
