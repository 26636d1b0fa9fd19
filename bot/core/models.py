"""The domain model now lives in `bot.domain.models`; this name stays for code written
against it (new code imports `bot.domain.models`)."""

from bot.domain.models import (
    DOMAINS,
    KINDS,
    TRENDS,
    Assessment,
    Development,
    DevelopmentDraft,
    Domain,
    FuzzyDate,
    Kind,
    Precision,
    Revision,
    Source,
    Status,
    Trend,
)

__all__ = [
    "DOMAINS",
    "KINDS",
    "TRENDS",
    "Assessment",
    "Development",
    "DevelopmentDraft",
    "Domain",
    "FuzzyDate",
    "Kind",
    "Precision",
    "Revision",
    "Source",
    "Status",
    "Trend",
]
