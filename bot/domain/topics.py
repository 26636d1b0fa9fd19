"""The topics: named views over developments, and which ones a development belongs to.

A pair or trilateral topic matches developments that involve all of its countries; a
country topic matches any development involving that country; a domain topic matches by
domain. Membership is computed when a development is saved and stored with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.wording import N_


@dataclass(frozen=True)
class Topic:
    """A named view: all `countries` involved, or the `domain`."""

    slug: str
    title: str
    description: str
    countries: frozenset[str] = frozenset()
    domain: str | None = None

    def matches(self, countries: Iterable[str], domain: str) -> bool:
        """Whether a development with these countries and domain belongs here."""
        if self.domain is not None:
            return domain == self.domain
        return self.countries <= set(countries)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "trilateral",
        N_("US–Japan–South Korea"),
        N_(
            "The trilateral relationship: summits, drills, intelligence sharing, economic security."
        ),
        frozenset({"US", "JP", "KR"}),
    ),
    Topic(
        "japan-korea",
        N_("Japan–South Korea"),
        N_(
            "Seoul–Tokyo ties: history disputes, trade, security cooperation, people-to-people links."
        ),
        frozenset({"JP", "KR"}),
    ),
    Topic(
        "us-japan",
        N_("US–Japan"),
        N_("The US–Japan alliance: defence, trade, technology and diplomacy."),
        frozenset({"US", "JP"}),
    ),
    Topic(
        "us-korea",
        N_("US–South Korea"),
        N_("The US–ROK alliance: deterrence, trade, technology and diplomacy."),
        frozenset({"US", "KR"}),
    ),
    Topic(
        "north-korea",
        N_("North Korea"),
        N_("Pyongyang's weapons programmes, provocations and diplomacy as they shape the region."),
        frozenset({"KP"}),
    ),
    Topic(
        "china",
        N_("China"),
        N_("China's role: rivalry with the US, pressure on Seoul and Tokyo, ties to Pyongyang."),
        frozenset({"CN"}),
    ),
    Topic(
        "russia",
        N_("Russia"),
        N_("Russia's role in the region, including its ties to North Korea."),
        frozenset({"RU"}),
    ),
    Topic(
        "security",
        N_("Security"),
        N_("Defence, deterrence, drills, intelligence."),
        domain="security",
    ),
    Topic(
        "economy",
        N_("Economy"),
        N_("Trade, export controls, supply chains, investment."),
        domain="economy",
    ),
    Topic(
        "diplomacy",
        N_("Diplomacy"),
        N_("Summits, agreements, official visits and statements."),
        domain="diplomacy",
    ),
    Topic(
        "society",
        N_("Society"),
        N_("Tourism, public opinion, history and people-to-people ties."),
        domain="society",
    ),
)

PAIR_TOPICS: tuple[str, ...] = ("japan-korea", "us-japan", "us-korea")
DEFAULT_SUBSCRIPTION_TOPICS: tuple[str, ...] = ("trilateral", *PAIR_TOPICS)


def all_topics() -> tuple[Topic, ...]:
    """Every topic, in display order."""
    return TOPICS


def topics_for(countries: Iterable[str], domain: str) -> tuple[str, ...]:
    """The slugs of every topic a development with these attributes belongs to."""
    codes = set(countries)
    return tuple(t.slug for t in TOPICS if t.matches(codes, domain))
