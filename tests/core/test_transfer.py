"""Export and import: lossless round trips through JSON and CSV, all-or-nothing imports."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.core import transfer
from bot.core.catalogue import Catalogue
from bot.core.dataset import load_starter
from bot.domain.errors import Conflict, InvalidInput
from storage.sqlite.database import Database
from tests.helpers import (
    EDITOR,
    GUILD_A,
    MOD_A,
    MOD_B,
    FixedClock,
    draft,
    raw_development,
    row_counts,
    table_dump,
)


async def _rich(catalogue: Catalogue, clock: FixedClock) -> None:
    """Starter data plus server developments, retractions, histories, assessment versions."""
    clock.advance(hours=1)
    own = await catalogue.add(MOD_A, draft(title="Server A: local briefing", tags="local"))
    await catalogue.add(
        MOD_B,
        draft(
            title="Server B: a month-precision note",
            date="2023-04",
            why_it_matters="",
            sources=[
                {"title": "Only a citation"},
                {"url": "https://example.org/x", "accessed_on": "2023-04-02"},
            ],
        ),
    )
    clock.advance(hours=1)
    await catalogue.edit(MOD_A, own.id, draft(title="Server A: local briefing, revised"))
    clock.advance(hours=1)
    await catalogue.edit(EDITOR, 2, draft(title="Summit entry, revised", importance="3"))
    await catalogue.edit(EDITOR, 2, draft(title="Summit entry, revised twice", importance="3"))
    await catalogue.retract(EDITOR, 5, "superseded")
    await catalogue.retract(MOD_A, own.id, "local mistake")
    await catalogue.add(
        EDITOR,
        draft(
            title='Upcoming trilateral summit «quoted», with "quotes", commas; and | pipes',
            summary="Line one.\nLine two, with a comma.\n\n- a list item",
            date="2023-08-18",
            countries="US JP KR",
        ),
    )
    await catalogue.set_assessment(EDITOR, "trilateral", "Second view.", "unchanged", ("a", "b"))
    await catalogue.set_assessment(EDITOR, "trilateral", "Third view.", "improving", ())
    await catalogue.set_assessment(MOD_A, "japan-korea", "Server view.", "deteriorating", ("c",))


def _without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "exported_at"}


@pytest.mark.parametrize("suffix", [".json", ".csv"])
async def test_round_trip_into_an_empty_database(
    catalogue: Catalogue, db: Database, clock: FixedClock, tmp_path: Path, suffix: str
) -> None:
    await _rich(catalogue, clock)
    original = await transfer.export_data(db, clock)
    devs = original["developments"]
    assert any(d["status"] == "retracted" for d in devs)
    assert {d["scope"] for d in devs} >= {"global", str(GUILD_A)}
    assert any(len(d["revisions"]) >= 3 for d in devs)
    assert len([a for a in original["assessments"] if a["topic"] == "trilateral"]) == 3

    path = tmp_path / f"export{suffix}"
    transfer.write_file(path, original)
    target = await Database.open(tmp_path / "empty.sqlite3")
    try:
        counts = await transfer.import_data(target, transfer.read_file(path), clock)
        assert counts == {
            "developments": len(devs),
            "assessments": len(original["assessments"]),
        }
        again = await transfer.export_data(target, clock)
        assert _without_time(again) == _without_time(original)
        # Search and briefs work on the imported copy; retracted stays out of the index.
        assert await row_counts(target) == await row_counts(db)
        # The starter dataset counts as loaded: a restart does not add it again.
        assert await load_starter(target, clock) == 0
    finally:
        await target.close()


async def test_import_without_ids_adds_new_developments(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    doc = {
        "developments": [
            {
                "title": "Hand-made record",
                "summary": "Typed by an operator.",
                "date": "2023-04-30",
                "countries": "JP KR",
                "domain": "economy",
                "sources": [{"title": "A citation"}],
            }
        ]
    }
    before = await row_counts(db)
    assert await transfer.import_data(db, doc, clock) == {"developments": 1, "assessments": 0}
    after = await row_counts(db)
    assert after["developments"] == before["developments"] + 1
    assert after["revisions"] == before["revisions"] + 1
    data = await transfer.export_data(db, clock)
    new = data["developments"][-1]
    assert new["id"] == 13 and new["revisions"][0]["action"] == "import"


def _bad(doc: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["developments"][index].update(changes)
    return doc


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": "2023-02-30"}, "date"),
        ({"title": ""}, "title"),
        ({"countries": ["JP", "ZZ"]}, "countries"),
        ({"sources": [{"title": "x", "url": "http://insecure.example"}]}, "source 1 url"),
        ({"importance": 7}, "importance"),
        ({"status": "deleted"}, "status"),
        ({"scope": "somewhere"}, "scope"),
    ],
)
async def test_one_invalid_record_writes_nothing(
    db: Database, tmp_path: Path, clock: FixedClock, changes: dict[str, Any], field: str
) -> None:
    doc = await transfer.export_data(db, clock)
    target = await Database.open(tmp_path / "empty.sqlite3")
    try:
        before = await table_dump(target)
        with pytest.raises(InvalidInput) as err:
            await transfer.import_data(target, _bad(doc, 6, **changes), clock)
        assert str(err.value).startswith("development 7")
        assert field in str(err.value)
        assert await table_dump(target) == before
    finally:
        await target.close()


async def test_invalid_csv_record_names_the_line(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    doc = await transfer.export_data(db, clock)
    path = tmp_path / "bad.csv"
    transfer.write_file(path, _bad(doc, 2, domain="sports"))
    target = await Database.open(tmp_path / "empty.sqlite3")
    try:
        with pytest.raises(InvalidInput) as err:
            await transfer.import_data(target, transfer.read_file(path), clock)
        assert str(err.value).startswith("line 4 domain")
        assert await row_counts(target) == dict.fromkeys(await row_counts(target), 0)
    finally:
        await target.close()


async def test_invalid_assessment_writes_nothing(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    doc = await transfer.export_data(db, clock)
    doc["assessments"][0]["trend"] = "sideways"
    target = await Database.open(tmp_path / "empty.sqlite3")
    try:
        with pytest.raises(InvalidInput, match="assessment 1 trend"):
            await transfer.import_data(target, doc, clock)
        assert await row_counts(target) == dict.fromkeys(await row_counts(target), 0)
    finally:
        await target.close()


async def test_existing_ids_conflict_and_write_nothing(db: Database, clock: FixedClock) -> None:
    doc = await transfer.export_data(db, clock)
    before = await table_dump(db)
    with pytest.raises(Conflict, match="already"):
        await transfer.import_data(db, doc, clock)
    assert await table_dump(db) == before
    # Without ids but with the starter's seed keys, it still conflicts.
    for d in doc["developments"]:
        d.pop("id")
    with pytest.raises(Conflict, match="starter"):
        await transfer.import_data(db, doc, clock)
    assert await table_dump(db) == before


async def test_duplicate_ids_in_a_file(empty_db: Database, clock: FixedClock) -> None:
    record = {
        "id": 4,
        "title": "t",
        "summary": "s",
        "date": "2023",
        "countries": "JP",
        "domain": "economy",
        "sources": [{"title": "c"}],
    }
    with pytest.raises(InvalidInput, match="twice"):
        await transfer.import_data(empty_db, {"developments": [record, record]}, clock)
    assert (await row_counts(empty_db))["developments"] == 0


def test_read_file_refusals(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        transfer.read_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        transfer.read_file(broken)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else", "developments": []}))
    with pytest.raises(InvalidInput, match="file"):
        transfer.read_file(other)
    wrong = tmp_path / "data.txt"
    wrong.write_text("x")
    with pytest.raises(InvalidInput, match=r"\.json or \.csv"):
        transfer.read_file(wrong)
    with pytest.raises(InvalidInput):
        transfer.write_file(tmp_path / "out.xml", {})


@pytest.mark.parametrize(
    "doc",
    [
        {"developments": [], "datasets": [{"dataset": "x"}]},
        {"developments": [], "assessments": [{"topic": "trilateral", "scope": "9" * 30}]},
    ],
)
async def test_malformed_documents_are_named_and_write_nothing(empty_db: Database, doc) -> None:
    with pytest.raises(InvalidInput):
        await transfer.import_data(empty_db, doc)
    assert await empty_db.scalar("SELECT COUNT(*) FROM assessments") == 0


async def test_duplicate_revision_numbers_are_refused(empty_db: Database) -> None:
    record = raw_development()
    rev = {
        "number": 1,
        "action": "create",
        "actor": "a",
        "at": "2023-01-01T00:00:00Z",
        "changes": {},
        "snapshot": {},
    }
    doc = {"developments": [record | {"id": 5, "revisions": [rev, rev]}]}
    with pytest.raises(InvalidInput, match="nothing was imported"):
        await transfer.import_data(empty_db, doc)
    assert await empty_db.scalar("SELECT COUNT(*) FROM developments") == 0


@pytest.mark.parametrize("suffix", [".json", ".csv"])
async def test_assessment_sources_survive_export_and_import(
    db: Database, clock: FixedClock, tmp_path: Path, suffix: str
) -> None:
    original = await transfer.export_data(db, clock)
    by_topic = {a["topic"]: a for a in original["assessments"]}
    cited = [s["title"] for s in by_topic["japan-korea"]["sources"]]
    assert cited[0].startswith("The Deepening Relations in the North Pacific")
    path = tmp_path / f"export{suffix}"
    transfer.write_file(path, original)
    target = await Database.open(tmp_path / "empty.sqlite3")
    try:
        await transfer.import_data(target, transfer.read_file(path), clock)
        again = await transfer.export_data(target, clock)
        assert again["assessments"] == original["assessments"]
        imported = await Catalogue(target, clock).current_assessment("japan-korea", None)
        assert imported is not None
        assert [s.title for s in imported.sources] == cited
    finally:
        await target.close()


async def test_assessment_sources_are_checked_like_development_sources(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    doc = await transfer.export_data(db, clock)
    doc["assessments"][0]["sources"] = [{"url": "http://insecure.example.org"}]
    target = await Database.open(tmp_path / "empty.sqlite3")
    try:
        with pytest.raises(InvalidInput, match="assessment 1 source"):
            await transfer.import_data(target, doc, clock)
        assert await row_counts(target) == dict.fromkeys(await row_counts(target), 0)
    finally:
        await target.close()
