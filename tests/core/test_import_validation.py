"""Wrong-shaped or wrongly typed import data is refused naming the record and field, and
writes nothing (nothing is stored that would break a read later)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.core import transfer
from bot.domain.errors import InvalidInput
from storage.sqlite.database import Database
from tests.helpers import raw_development, row_counts

REVISION = {
    "number": 1,
    "action": "create",
    "actor": "someone",
    "at": "2023-01-01T00:00:00Z",
    "changes": {},
    "snapshot": {},
}


def _doc(**changes: Any) -> dict[str, Any]:
    record = raw_development() | {"id": 5, "revisions": [copy.deepcopy(REVISION)]}
    record.update(changes)
    return {"developments": [record]}


def _with_revision(**changes: Any) -> dict[str, Any]:
    return _doc(revisions=[REVISION | changes])


CASES: list[tuple[dict[str, Any], str]] = [
    # Wrong shapes (issue 9, item 3).
    ({"developments": [5]}, "development 1: must be an object"),
    ({"developments": [], "assessments": ["x"]}, "assessment 1: must be an object"),
    (_doc(sources=[5]), "development 1 source 1: must be an object"),
    ({"version": "1", "developments": []}, "version: must be a whole number"),
    ({"version": [1], "developments": []}, "version: must be a whole number"),
    (_doc(seed_key={"a": 1}), "development 1 seed_key: must be text"),
    (_doc(retraction_reason={"a": 1}), "development 1 retraction_reason: must be text"),
    (_with_revision(actor={"name": "x"}), "development 1 revision 1 actor: must be text"),
    # Bad values that would break reads later (item 4).
    (_with_revision(at="garbage"), "development 1 revision 1 at: must be a UTC timestamp"),
    (_with_revision(changes=[1, 2]), "development 1 revision 1 changes: must be an object"),
    (_with_revision(changes={"title": "x"}), "development 1 revision 1 changes title: must be a list"),
    (_with_revision(number="2"), "development 1 revision 1 number: must be a whole number"),
    (_with_revision(number=1.5), "development 1 revision 1 number: must be a whole number"),
    (_doc(summary=["a", "b"]), "development 1 summary: must be text"),
    (_doc(id=5.7), "development 1 id: must be a whole number"),
    (_doc(id=True), "development 1 id: must be a whole number"),
    (_doc(importance=True), "development 1 importance: must be a whole number"),
    (_doc(created_at="garbage"), "development 1 created_at: must be a UTC timestamp"),
    (_doc(updated_at="2023-02-30T00:00:00Z"), "development 1 updated_at: '2023-02-30T00:00:00Z' is not a real moment"),
    ({"developments": [], "datasets": [{"dataset": "x", "loaded_at": "soon"}]}, "dataset 1 loaded_at"),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "message"), CASES)
async def test_bad_records_are_named_and_write_nothing(
    empty_db: Database, doc: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        await transfer.import_data(empty_db, doc)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)
    assert set((await row_counts(empty_db)).values()) == {0}


async def test_a_valid_record_with_revisions_still_imports(empty_db: Database) -> None:
    assert await transfer.import_data(empty_db, _doc()) == {"developments": 1, "assessments": 0}


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"developments": [{"title": "café"}]}'.encode("latin-1"))
    with pytest.raises(InvalidInput, match="UTF-8"):
        transfer.read_file(path)


def test_json_nested_100000_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"developments": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(InvalidInput, match="nested"):
        transfer.read_file(path)


async def test_deep_revision_snapshots_are_refused(empty_db: Database) -> None:
    deep: Any = "x"
    for _ in range(50):
        deep = [deep]
    with pytest.raises(InvalidInput, match="nested"):
        await transfer.import_data(empty_db, _with_revision(snapshot={"title": deep}))


def test_a_csv_cell_over_128_kb(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("record,title\ndevelopment,short\ndevelopment," + "x" * 140_000 + "\n")
    with pytest.raises(InvalidInput) as err:
        transfer.read_file(path)
    assert str(err.value).startswith("line 3")


def test_csv_ids_are_whole_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("record,id,title\ndevelopment,12,a\ndevelopment,5.7,b\n", encoding="utf-8")
    doc = transfer.read_file(path)
    assert [d.get("id") for d in doc["developments"]] == [12, "5.7"]


async def test_csv_fractional_id_is_refused(empty_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    row = raw_development()
    path.write_text(
        "record,id,title,summary,date,countries,domain,sources\n"
        f"development,5.7,{row['title']},{row['summary']},{row['date']},JP KR,economy,"
        '"A citation"\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="line 2 id: must be a whole number"):
        await transfer.import_data(empty_db, transfer.read_file(path))


def test_cli_names_the_record(tmp_path: Path) -> None:
    from tests.cli.test_cli import Cli, one_line_error

    cli = Cli(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps(_with_revision(at="garbage")))
    one_line_error(cli("import", "bad.json"), "development 1 revision 1 at")
