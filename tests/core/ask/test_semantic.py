"""The `semantic` extra: embeddings stored as developments are saved, a reindex for the rest,
nearest neighbours fused with the lexical ranking, and the labelled set's overall target.

Skipped (with the reason shown) when the extra is not installed; CI's second step installs
it and sets ASK_SEMANTIC_REQUIRED=1, which turns a missing extra into a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.core import transfer
from bot.core.ask.semantic import MODEL, SemanticIndex, quantise, semantic_available
from bot.core.ask.service import Asker
from bot.core.catalogue import Catalogue
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft

if not semantic_available():
    if os.environ.get("ASK_SEMANTIC_REQUIRED"):
        raise RuntimeError("ASK_SEMANTIC_REQUIRED is set but the semantic extra is not installed")
    pytest.skip(
        "the semantic extra is not installed (pip install -e '.[semantic]')",
        allow_module_level=True,
    )

import numpy as np

pytestmark = pytest.mark.semantic


@pytest.fixture
def index() -> SemanticIndex:
    return SemanticIndex()


async def _vector_rows(db: Db) -> dict[int, int]:
    rows = await db.fetchall("SELECT development_id, seq FROM development_vectors")
    return {r["development_id"]: r["seq"] for r in rows}


def test_int8_vectors_keep_the_ranking(index: SemanticIndex) -> None:
    found = index._encode(["Japan lifts export controls", "Tourism ministers meet"])
    scale, data = quantise(found[0])
    back = np.frombuffer(data, dtype=np.int8).astype(np.float32) * scale
    assert float(back @ found[0]) > 0.99


async def test_saved_developments_are_embedded_and_retracted_ones_forgotten(
    any_db: Db, clock: FixedClock, index: SemanticIndex
) -> None:
    db = any_db
    catalogue = Catalogue(db, clock)
    catalogue.listeners.append(index.on_saved)
    dev = await catalogue.add(EDITOR, draft())
    first = (await _vector_rows(db))[dev.id]
    await catalogue.edit(EDITOR, dev.id, draft(summary="The ministers agreed on a hotline."))
    assert (await _vector_rows(db))[dev.id] > first  # re-embedded after the edit
    await catalogue.retract(EDITOR, dev.id, "duplicate")
    assert dev.id not in await _vector_rows(db)


async def test_reindex_embeds_what_has_no_vector(any_db: Db, index: SemanticIndex) -> None:
    assert await index.reindex(any_db) == 12
    assert await index.reindex(any_db) == 0
    model = await any_db.scalar("SELECT DISTINCT model FROM development_vectors")
    assert model == MODEL


async def test_an_import_is_embedded_after_the_next_question(
    db: Database, clock: FixedClock, index: SemanticIndex
) -> None:
    # SQLite only: this release imports into SQLite (PostgreSQL refuses a file import).
    asker = Asker(db, clock, index)
    await asker.ask("Did Japan lift the export controls on Korea?", None)
    assert await index.caught_up() == 12  # the first question catches up on the starter data
    imported = {
        "format": transfer.FORMAT,
        "version": transfer.FORMAT_VERSION,
        "developments": [
            {
                "title": "Seoul and Tokyo open a joint hydrogen shipping corridor",
                "summary": "Tankers carry liquefied hydrogen between Ulsan and Kobe from 2024.",
                "kind": "event",
                "date": "2023-04-20",
                "countries": ["JP", "KR"],
                "domain": "economy",
                "importance": 3,
                "tags": ["energy"],
                "sources": [
                    {
                        "title": "Hydrogen corridor opens",
                        "publisher": "Example News",
                        "url": "https://example.org/hydrogen",
                        "published_on": "2023-04-20",
                        "accessed_on": "2023-04-21",
                    }
                ],
            }
        ],
    }
    await transfer.import_data(db, imported, clock)
    answer = await asker.ask("Is there a hydrogen shipping corridor?", None)
    assert await index.caught_up() == 1
    assert len(await _vector_rows(db)) == 13
    # Asked again with nothing new: nothing is embedded, no task is started.
    await asker.ask("Is there a hydrogen shipping corridor?", None)
    assert await index.caught_up() == 1
    assert answer.citations[0].title.startswith("Seoul and Tokyo open")


async def test_the_vectors_are_read_back_on_both_backends(
    any_db: Db, clock: FixedClock, index: SemanticIndex
) -> None:
    await index.reindex(any_db)
    question = "Did the neighbours end their quarrel over compensation for colonial-era workers?"
    fused = await Asker(any_db, clock, index).ask(question, None)
    assert fused.confident and fused.citations[0].title.startswith("Steps taken to resolve")


async def test_a_paraphrase_without_shared_words_is_answered(
    db: Database, clock: FixedClock, index: SemanticIndex
) -> None:
    question = "Did the neighbours end their quarrel over compensation for colonial-era workers?"
    lexical = await Asker(db, clock).ask(question, None)
    await index.reindex(db)
    fused = await Asker(db, clock, index).ask(question, None)
    assert not lexical.confident
    assert fused.confident and fused.citations[0].title.startswith("Steps taken to resolve")


async def test_the_labelled_set_with_embeddings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], index: SemanticIndex
) -> None:
    from bench.ask_quality import TODAY, build_catalogue, evaluate, fixed, read_questions
    from tests.core.ask.test_quality import ABSTAIN_TARGET, DISTRACTORS

    db = await build_catalogue(tmp_path / "labelled.sqlite3", DISTRACTORS)
    try:
        await index.reindex(db)
        figures = await evaluate(db, Asker(db, fixed(TODAY), index), read_questions())
    finally:
        await db.close()
    with capsys.disabled():
        print(f"\n/ask labelled set over the starter data + {DISTRACTORS} distractors (semantic):")
        for line in figures.lines() + figures.misses:
            print("  " + line)
    assert figures.recall() >= 0.9, figures.misses
    assert figures.abstention() >= ABSTAIN_TARGET, figures.misses


def test_the_cli_reindexes(tmp_path: Path) -> None:
    from tests.cli.test_cli import Cli

    cli = Cli(tmp_path)
    assert cli.ok("ask", "--reindex").strip() == "embedded 12 developments for /ask"
    question = "Did the neighbours end their quarrel over compensation for colonial-era workers?"
    assert "#3" in cli.ok("ask", question)
