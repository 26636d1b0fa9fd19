"""The /ask labelled set: recall@3 and abstention per language, over the starter data mixed
into generated distractor developments. Used by tests/core/ask/test_quality.py and
`python -m bench.ask` (which also times the work at 100k developments).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bench.generate import generate
from bot.core import transfer
from bot.core.ask.service import Asker
from bot.core.dataset import load_starter
from bot.domain.clock import Clock
from storage.sqlite.database import Database

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "ask_questions.tsv"
#: "Today" of the labelled set: a fortnight after the last dated starter development.
TODAY = datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
LANGUAGES = ("en", "ja", "ko")


@dataclass(frozen=True)
class Labelled:
    """One question and the starter developments (seed keys) that answer it."""

    language: str
    question: str
    expected: frozenset[str]  # empty: out of scope, the bot must abstain


@dataclass
class Figures:
    """Recall@3 over answerable questions and abstention over out-of-scope ones."""

    hits: dict[str, int] = field(default_factory=dict)
    answerable: dict[str, int] = field(default_factory=dict)
    abstained: dict[str, int] = field(default_factory=dict)
    out_of_scope: dict[str, int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def recall(self, language: str | None = None) -> float:
        """Share of answerable questions with a right development in the first three."""
        keys = [language] if language else list(self.answerable)
        total = sum(self.answerable.get(k, 0) for k in keys)
        return sum(self.hits.get(k, 0) for k in keys) / total if total else 0.0

    def abstention(self, language: str | None = None) -> float:
        """Share of out-of-scope questions the bot did not answer."""
        keys = [language] if language else list(self.out_of_scope)
        total = sum(self.out_of_scope.get(k, 0) for k in keys)
        return sum(self.abstained.get(k, 0) for k in keys) / total if total else 0.0

    def lines(self) -> list[str]:
        """One line per language, then overall."""
        out = [
            f"{lang}: recall@3 {self.recall(lang):.2f} ({self.hits.get(lang, 0)}/"
            f"{self.answerable.get(lang, 0)}), abstained {self.abstention(lang):.0%} "
            f"({self.abstained.get(lang, 0)}/{self.out_of_scope.get(lang, 0)} out of scope)"
            for lang in LANGUAGES
        ]
        out.append(
            f"all: recall@3 {self.recall():.2f}, abstained {self.abstention():.0%} out of scope"
        )
        return out


def read_questions(path: Path = QUESTIONS) -> list[Labelled]:
    """The labelled set (comment lines start with #)."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for row in csv.reader((line for line in f if not line.startswith("#")), delimiter="\t"):
            if not row:
                continue
            language, question, expected = row
            keys = frozenset() if expected == "-" else frozenset(expected.split(","))
            rows.append(Labelled(language, question, keys))
    return rows


def fixed(moment: datetime) -> Clock:
    """A clock that always says `moment`."""
    return lambda: moment


async def build_catalogue(path: Path, distractors: int, *, seed: int = 20230501) -> Database:
    """A database with the starter data and `distractors` generated developments."""
    db = await Database.open(path)
    await load_starter(db, fixed(TODAY))
    if distractors:
        cat = generate(distractors, servers=0, seed=seed, anchor=date(2026, 11, 25))
        await transfer.import_data(db, cat.document, clock=fixed(TODAY))
    return db


async def seed_ids(db: Database) -> dict[str, int]:
    """Seed key → development id of the starter developments."""
    rows = await db.fetchall("SELECT seed_key, id FROM developments WHERE seed_key IS NOT NULL")
    return {r["seed_key"]: r["id"] for r in rows}


async def evaluate(
    db: Database,
    asker: Asker,
    questions: list[Labelled],
    *,
    on_answer: Callable[[Labelled, list[int], bool], None] | None = None,
) -> Figures:
    """Ask every question; count recall@3 and abstention per language."""
    ids = await seed_ids(db)
    figures = Figures()
    for item in questions:
        answer = await asker.ask(item.question, None)
        cited = [d.id for d in answer.citations[:3]] if answer.confident else []
        if on_answer is not None:
            on_answer(item, cited, answer.confident)
        lang = item.language
        if item.expected:
            figures.answerable[lang] = figures.answerable.get(lang, 0) + 1
            wanted = {ids[k] for k in item.expected}
            if wanted & set(cited):
                figures.hits[lang] = figures.hits.get(lang, 0) + 1
            else:
                figures.misses.append(f"miss [{lang}] {item.question} → {cited}")
        else:
            figures.out_of_scope[lang] = figures.out_of_scope.get(lang, 0) + 1
            if not answer.confident:
                figures.abstained[lang] = figures.abstained.get(lang, 0) + 1
            else:
                figures.misses.append(f"answered [{lang}] {item.question} → {cited}")
    return figures
