"""Measuring the classifier against labelled headlines (used by the test and the bench)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.core.feeds.classify import classify


@dataclass(frozen=True)
class Labelled:
    """A headline with the tracked countries it is about and its domain (None: unrelated)."""

    countries: frozenset[str]
    domain: str | None
    headline: str


@dataclass
class Scores:
    """Country precision and recall (over country mentions) and domain accuracy (over
    headlines about a tracked country), with the misses for inspection."""

    precision: float
    recall: float
    domain_accuracy: float
    headlines: int
    misses: list[str] = field(default_factory=list)


def load_labelled(path: Path) -> list[Labelled]:
    """`countries<TAB>domain<TAB>headline` lines; `-` for none; `#` comments."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        countries, domain, headline = line.split("\t")
        codes = frozenset() if countries == "-" else frozenset(countries.split())
        rows.append(Labelled(codes, None if domain == "-" else domain, headline))
    return rows


def score(rows: list[Labelled]) -> Scores:
    """Classify every headline and compare with its labels."""
    tp = fp = fn = right = judged = 0
    misses = []
    for row in rows:
        found = classify(row.headline)
        got = frozenset(found.countries)
        tp += len(got & row.countries)
        fp += len(got - row.countries)
        fn += len(row.countries - got)
        if got != row.countries:
            misses.append(f"countries {sorted(row.countries)} got {sorted(got)}: {row.headline}")
        if row.domain is not None:
            judged += 1
            right += found.domain == row.domain
            if found.domain != row.domain:
                misses.append(f"domain {row.domain} got {found.domain}: {row.headline}")
    return Scores(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        domain_accuracy=right / judged if judged else 1.0,
        headlines=len(rows),
        misses=misses,
    )
