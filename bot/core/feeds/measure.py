"""Measuring the classifier against labelled headlines and feed items, and the
near-duplicate merge against labelled pairs (used by the tests and the bench)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.core.feeds.classify import classify
from bot.core.feeds.dedupe import Signature


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


@dataclass(frozen=True)
class LabelledItem:
    """A feed item (title and summary) and whether it belongs in the queue."""

    on_topic: bool
    title: str
    summary: str


@dataclass(frozen=True)
class LabelledPair:
    """Two headlines and whether they tell the same story."""

    same: bool
    first: str
    second: str


@dataclass
class Decisions:
    """Precision and recall of a yes/no decision (queue an item, merge a pair)."""

    precision: float
    recall: float
    cases: int
    misses: list[str] = field(default_factory=list)


def _rows(path: Path) -> list[list[str]]:
    return [
        line.split("\t")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def load_items(path: Path) -> list[LabelledItem]:
    """`on|off<TAB>title<TAB>summary` lines; `#` comments."""
    return [LabelledItem(label == "on", title, summary) for label, title, summary in _rows(path)]


def load_pairs(path: Path) -> list[LabelledPair]:
    """`same|different<TAB>headline<TAB>headline` lines; `#` comments."""
    return [LabelledPair(label == "same", a, b) for label, a, b in _rows(path)]


def _decisions(said: list[tuple[bool, bool, str]]) -> Decisions:
    tp = sum(1 for got, want, _ in said if got and want)
    fp = sum(1 for got, want, _ in said if got and not want)
    fn = sum(1 for got, want, _ in said if want and not got)
    misses = [
        f"{'wrongly' if got else 'missed'}: {text}" for got, want, text in said if got != want
    ]
    return Decisions(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        cases=len(said),
        misses=misses,
    )


def score_items(rows: list[LabelledItem]) -> Decisions:
    """Would each item be queued (about a tracked country), against its label."""
    return _decisions([(classify(r.title, r.summary).relevant, r.on_topic, r.title) for r in rows])


def score_pairs(rows: list[LabelledPair]) -> Decisions:
    """Would each pair be merged as one story, against its label."""
    return _decisions(
        [
            (
                Signature.of(r.first).same_story(Signature.of(r.second)),
                r.same,
                f"{r.first} | {r.second}",
            )
            for r in rows
        ]
    )
