"""The labelled question set (tests/data/ask_questions.tsv) over the starter data mixed into
generated distractors: recall@3 and abstention per language, printed and held to targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ask_quality import TODAY, build_catalogue, evaluate, fixed, read_questions
from bot.core.ask.service import Asker

DISTRACTORS = 3000
RECALL_TARGETS = {"en": 0.85, "ja": 0.75, "ko": 0.75}
ABSTAIN_TARGET = 0.8


def test_the_labelled_set_is_big_enough_and_covers_every_language() -> None:
    questions = read_questions()
    assert len(questions) >= 60
    for language in RECALL_TARGETS:
        mine = [q for q in questions if q.language == language]
        assert any(q.expected for q in mine) and any(not q.expected for q in mine)


async def test_recall_and_abstention_meet_the_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await build_catalogue(tmp_path / "labelled.sqlite3", DISTRACTORS)
    try:
        figures = await evaluate(db, Asker(db, fixed(TODAY)), read_questions())
    finally:
        await db.close()
    with capsys.disabled():
        print(f"\n/ask labelled set over the starter data + {DISTRACTORS} distractors (lexical):")
        for line in figures.lines() + figures.misses:
            print("  " + line)
    for language, target in RECALL_TARGETS.items():
        assert figures.recall(language) >= target, (language, figures.misses)
    assert figures.abstention() >= ABSTAIN_TARGET, figures.misses
