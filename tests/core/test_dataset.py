"""The bundled starter dataset: complete, loaded once, and changes to it survive restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.catalogue import Catalogue
from bot.core.dataset import DATASET_AUTHOR, load_starter, read_starter
from bot.core.validation import validate_development
from storage import catalogue as queries
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft, row_counts


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


def test_every_starter_development_is_valid_and_sourced() -> None:
    data = read_starter()
    keys = [item["key"] for item in data["developments"]]
    assert len(keys) == len(set(keys))
    for item in data["developments"]:
        assert item["sources"], item["key"]
        assert set(item["sources"]) <= set(data["sources"]), item["key"]
        d = validate_development(item | {"sources": [data["sources"][k] for k in item["sources"]]})
        assert len(d.sources) >= 1


async def test_loaded_once(empty_db: Db, clock: FixedClock) -> None:
    added = await load_starter(empty_db, clock)
    assert added == len(read_starter()["developments"]) == 12
    counts = await row_counts(empty_db)
    assert await load_starter(empty_db, clock) == 0
    assert await row_counts(empty_db) == counts
    for dev_id in range(1, added + 1):
        dev = await queries.get_development(empty_db, dev_id)
        assert dev is not None and dev.is_global and dev.seed_key
        assert dev.sources and dev.created_by == DATASET_AUTHOR
        assert dev.revision_count == 1


async def test_trilateral_assessment_is_improving(db: Db) -> None:
    catalogue = Catalogue(db)
    assessment = await catalogue.current_assessment("trilateral", None)
    assert assessment is not None
    assert assessment.trend == "improving"
    assert assessment.author == DATASET_AUTHOR


async def test_starter_contains_the_seed_articles_facts(db: Db) -> None:
    devs = [await queries.get_development(db, i) for i in range(1, 13)]
    text = " ".join(f"{d.title} {d.summary}" for d in devs if d)
    for fact in ("Kishida", "$80 billion", "tourism", "export", "Trilateral Defense Talks"):
        assert fact in text
    dated = {d.seed_key: d.occurred.iso() for d in devs if d}
    assert dated["yoon-kishida-summit-2023-03-16"] == "2023-03-16"
    assert dated["tourism-ministers-2023-04-13"] == "2023-04-13"


async def test_edits_and_retractions_survive_a_restart(db_path: Path, clock: FixedClock) -> None:
    db = await Database.open(db_path)
    await load_starter(db, clock)
    catalogue = Catalogue(db, clock)
    await catalogue.edit(EDITOR, 2, draft(title="Edited summit entry"))
    await catalogue.retract(EDITOR, 5, "superseded by newer trade data")
    counts = await row_counts(db)
    await db.close()

    for _ in range(2):
        db = await Database.open(db_path)
        try:
            assert await load_starter(db, clock) == 0
            assert await row_counts(db) == counts
            edited = await queries.get_development(db, 2)
            retracted = await queries.get_development(db, 5)
            assert edited is not None and edited.title == "Edited summit entry"
            assert retracted is not None and retracted.retracted
        finally:
            await db.close()
