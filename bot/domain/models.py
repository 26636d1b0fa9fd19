"""The domain model: developments with dated precision, sources, assessments, revisions."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from bot.domain.scope import Scope

Kind = Literal["event", "indicator", "analysis"]
Domain = Literal["security", "economy", "diplomacy", "society"]
Precision = Literal["day", "month", "year"]
Trend = Literal["improving", "unchanged", "deteriorating"]
Status = Literal["published", "retracted"]

KINDS: tuple[Kind, ...] = ("event", "indicator", "analysis")
DOMAINS: tuple[Domain, ...] = ("security", "economy", "diplomacy", "society")
TRENDS: tuple[Trend, ...] = ("improving", "unchanged", "deteriorating")


@dataclass(frozen=True, order=True)
class FuzzyDate:
    """A date known to a day, a month or a year; `start` is its first day."""

    start: date
    precision: Precision = "day"

    @property
    def end(self) -> date:
        """The last day the date could mean."""
        if self.precision == "year":
            return date(self.start.year, 12, 31)
        if self.precision == "month":
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return date(self.start.year, self.start.month, last)
        return self.start

    def iso(self) -> str:
        """`2023-03-16`, `2023-03` or `2023`."""
        return {"day": self.start.isoformat(), "month": self.start.isoformat()[:7]}.get(
            self.precision, str(self.start.year)
        )

    def label(self) -> str:
        """`16 Mar 2023`, `Mar 2023` or `2023`."""
        if self.precision == "day":
            return f"{self.start.day} {self.start:%b %Y}"
        if self.precision == "month":
            return f"{self.start:%b %Y}"
        return str(self.start.year)


@dataclass(frozen=True)
class Source:
    """Where a development is documented: a URL (https) or a citation without one."""

    title: str
    publisher: str | None = None
    url: str | None = None
    published_on: str | None = None
    accessed_on: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """As `dataclasses.asdict`, without its deep copy (an import makes 200,000)."""
        return {
            "title": self.title,
            "publisher": self.publisher,
            "url": self.url,
            "published_on": self.published_on,
            "accessed_on": self.accessed_on,
        }


@dataclass(frozen=True, kw_only=True)
class DevelopmentDraft:
    """The editable content of a development, validated."""

    kind: Kind
    title: str
    summary: str
    occurred: FuzzyDate
    countries: tuple[str, ...]
    domain: Domain
    tags: tuple[str, ...] = ()
    importance: int = 2
    why_it_matters: str | None = None
    sources: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict in the export/revision format."""
        return {
            "kind": self.kind,
            "title": self.title,
            "summary": self.summary,
            "date": self.occurred.iso(),
            "countries": list(self.countries),
            "domain": self.domain,
            "tags": list(self.tags),
            "importance": self.importance,
            "why_it_matters": self.why_it_matters,
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass(frozen=True, kw_only=True)
class Audit:
    """Where a development lives, its status, who made and last changed it and when, and
    the starter-dataset key it was loaded under: what is kept beside its content."""

    scope: Scope | None = None
    status: Status = "published"
    retraction_reason: str | None = None
    created_by: str = ""
    created_at: str = ""
    updated_by: str = ""
    updated_at: str = ""
    seed_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class Development(DevelopmentDraft, Audit):
    """A stored development: its content, identity and audit fields."""

    id: int
    revision_count: int = 0
    topics: tuple[str, ...] = field(default=())

    @property
    def guild_id(self) -> int | None:
        """The id of its scope (a Discord server or Telegram chat); None when global."""
        return None if self.scope is None else self.scope.id

    @property
    def is_global(self) -> bool:
        """True for the shared catalogue, False for one server's (or chat's) own development."""
        return self.scope is None

    @property
    def retracted(self) -> bool:
        """True once retracted."""
        return self.status == "retracted"

    def is_upcoming(self, today: date) -> bool:
        """A scheduled event: it starts after today."""
        return self.occurred.start > today


@dataclass(frozen=True)
class Revision:
    """One change to a development: who, when, what changed."""

    development_id: int
    number: int
    action: str
    actor: str
    at: str
    changes: dict[str, list[Any]]
    snapshot: dict[str, Any]


@dataclass(frozen=True)
class Assessment:
    """The bottom line on a topic in one scope (global, one server or one chat)."""

    topic: str
    bottom_line: str
    trend: Trend
    watch_next: tuple[str, ...]
    author: str
    created_at: str
    scope: Scope | None = None
    id: int = 0
    sources: tuple[Source, ...] = ()

    @property
    def guild_id(self) -> int | None:
        """The id of its scope (a Discord server or Telegram chat); None when global."""
        return None if self.scope is None else self.scope.id
