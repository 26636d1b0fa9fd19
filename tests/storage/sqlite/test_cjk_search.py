"""Japanese and Korean text is found by substring (not only at the start of an unspaced
run), 2-character words included; full-width Latin is folded; the index follows writes."""

from __future__ import annotations

from pathlib import Path

from bot.core import transfer
from bot.core.catalogue import Catalogue
from storage import catalogue as queries
from storage.catalogue import HIT_END, HIT_START
from storage.sqlite.database import Database
from tests.helpers import EDITOR, draft

JA = "日韓首脳会談が東京で開かれた"
KO = "한일 정상회담이 서울에서 열렸다"


async def _ids(db: Database, text: str) -> list[int]:
    return [d.id for d, _ in await queries.search(db, text, None)]


async def _add_cjk(catalogue: Catalogue) -> tuple[int, int]:
    ja = await catalogue.add(EDITOR, draft(title="Summit in Tokyo", summary=JA))
    ko = await catalogue.add(EDITOR, draft(title="Summit in Seoul", summary=KO))
    return ja.id, ko.id


async def test_japanese_substrings_are_found(catalogue: Catalogue, db: Database) -> None:
    ja, _ = await _add_cjk(catalogue)
    assert await _ids(db, "東京") == [ja]  # two characters, mid-run
    assert await _ids(db, "首脳会談") == [ja]  # four characters, through the trigram index
    assert await _ids(db, "日韓") == [ja]
    assert await _ids(db, "大阪") == []


async def test_korean_two_character_words_are_found(catalogue: Catalogue, db: Database) -> None:
    ja, ko = await _add_cjk(catalogue)
    assert await _ids(db, "회담") == [ko]  # inside 정상회담이
    assert await _ids(db, "정상회담") == [ko]
    assert await _ids(db, "서울") == [ko]
    assert sorted(await _ids(db, "회담 東京")) == sorted([ja, ko])  # any term, as in English


async def test_snippets_mark_the_hit(catalogue: Catalogue, db: Database) -> None:
    await _add_cjk(catalogue)
    ((_, short),) = await queries.search(db, "東京", None)
    assert f"{HIT_START}東京{HIT_END}" in short
    ((_, long),) = await queries.search(db, "首脳会談", None)
    assert f"{HIT_START}" in long and "首脳" in long


async def test_full_width_latin_is_folded(db: Database) -> None:
    assert await _ids(db, "ｋｏｒｅａ") == await _ids(db, "korea")
    assert await _ids(db, "ｋｏｒｅａ")


async def test_mixed_cjk_and_english_terms(catalogue: Catalogue, db: Database) -> None:
    ja, _ = await _add_cjk(catalogue)
    assert await _ids(db, "東京 tokyo") == [ja]


async def test_index_follows_edit_and_retract(catalogue: Catalogue, db: Database) -> None:
    ja, _ = await _add_cjk(catalogue)
    await catalogue.edit(EDITOR, ja, draft(title="Summit in Osaka", summary="大阪で開かれた"))
    assert await _ids(db, "東京") == []
    assert await _ids(db, "大阪") == [ja]
    await catalogue.retract(EDITOR, ja, "duplicate")
    assert await _ids(db, "大阪") == []


async def test_import_indexes_cjk_records(empty_db: Database) -> None:
    record = {
        "title": "Imported",
        "summary": JA,
        "date": "2023-03-16",
        "countries": "JP KR",
        "domain": "diplomacy",
        "sources": [{"title": "A citation"}],
    }
    await transfer.import_data(empty_db, {"developments": [record]})
    assert await _ids(empty_db, "東京") == [1]


async def test_migration_indexes_existing_cjk_rows(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        await db.migrate(target=2)
        async with db.transaction() as w:  # rows written by a briefbot before migration 003
            for dev_id, summary in ((1, JA), (2, "An English summary")):
                await w.execute(
                    "INSERT INTO developments (id, kind, title, summary, occurred_on, "
                    "date_precision, countries, domain, importance, created_by, created_at, "
                    "updated_by, updated_at) VALUES (?, 'event', 'T', ?, '2023-03-16', 'day', "
                    "'JP KR', 'diplomacy', 2, 'x', '2023-03-16T00:00:00Z', 'x', "
                    "'2023-03-16T00:00:00Z')",
                    (dev_id, summary),
                )
                await w.execute(
                    "INSERT INTO developments_fts (rowid, title, summary, tags, sources) "
                    "VALUES (?, 'T', ?, '', 'A citation')",
                    (dev_id, summary),
                )
        await db.migrate()
        assert await _ids(db, "東京") == [1]
        assert await db.scalar("SELECT COUNT(*) FROM developments_cjk") == 1
    finally:
        await db.close()
