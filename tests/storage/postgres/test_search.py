"""Search on PostgreSQL finds what SQLite finds for the same developments: English words and
prefixes, Japanese and Korean substrings, the fallback to any term, the newest-first rule for
broad queries, marked snippets and the time budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.core.dataset import read_starter
from bot.core.validation import validate_development
from bot.domain.errors import QueryTooBroad
from bot.domain.models import DevelopmentDraft
from bot.domain.topics import topics_for
from storage import catalogue as queries
from storage.catalogue import HIT_END, HIT_START, draft_columns
from storage.postgres import search as pg
from storage.postgres.database import PostgresDatabase, PostgresWriter
from storage.sqlite.database import Database
from tests.helpers import draft

AT = "2023-05-01T09:30:00Z"
JA = "日韓首脳会談が東京で開かれた"
KO = "한일 정상회담이 서울에서 열렸다"


def _drafts() -> list[DevelopmentDraft]:
    data = read_starter()
    sources = data["sources"]
    starter = [
        validate_development(item | {"sources": [sources[k] for k in item["sources"]]})
        for item in data["developments"]
    ]
    return [
        *starter,
        draft(title="Summit in Tokyo", summary=JA),
        draft(title="Summit in Seoul", summary=KO),
        draft(title="北朝鮮がミサイルを発射", summary="North Korea fired a missile (北朝鮮)."),
        draft(title="서울 회담 missile talks", summary="정상회담 뒤 기자회견", tags="talks"),
        draft(title="Café diplomacy in Séoul", summary="A naïve coöperation plan."),
        draft(title="North-Korea talks stall", summary="The U.S. and the ROK's envoys met."),
        draft(
            title="Tourism rebounds",
            summary="Visitors from Japan to Korea doubled; tour operators added routes.",
            tags="tourism, travel",
        ),
    ]


async def _pg_insert(w: PostgresWriter, dev_id: int, d: DevelopmentDraft) -> None:
    cols = draft_columns(d) | {
        "id": dev_id,
        "created_by": "test",
        "created_at": AT,
        "updated_by": "test",
        "updated_at": AT,
    }
    names = ", ".join(cols)
    marks = ", ".join("?" * len(cols))
    await w.execute(f"INSERT INTO developments ({names}) VALUES ({marks})", list(cols.values()))
    await w.executemany(
        "INSERT INTO sources (development_id, position, title, publisher, url, published_on, "
        "accessed_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (dev_id, pos, s.title, s.publisher, s.url, s.published_on, s.accessed_on)
            for pos, s in enumerate(d.sources, start=1)
        ],
    )
    await w.executemany(
        "INSERT INTO development_topics (topic, occurred_on, development_id) VALUES (?, ?, ?)",
        [(t, d.occurred.start.isoformat(), dev_id) for t in topics_for(d.countries, d.domain)],
    )
    await pg.search_put(w, dev_id, d)


@dataclass
class Both:
    lite: Database
    pg: PostgresDatabase
    drafts: list[DevelopmentDraft]


@pytest.fixture
async def both(empty_db: Database, pg_url: str) -> AsyncIterator[Both]:
    """The same developments, with the same ids, in SQLite and in PostgreSQL."""
    drafts = _drafts()
    pgdb = await PostgresDatabase.open(pg_url)
    async with empty_db.transaction() as lw:
        ids = [
            await queries.insert_development(lw, d, scope=None, actor="test", at=AT) for d in drafts
        ]
    async with pgdb.transaction() as pw:
        for dev_id, d in zip(ids, drafts, strict=True):
            await _pg_insert(pw, dev_id, d)
    try:
        yield Both(empty_db, pgdb, drafts)
    finally:
        await pgdb.close()


async def _lite_ids(both: Both, text: str, topic: str | None = None) -> list[int]:
    found = await queries.search(both.lite, text, None, topic=topic, limit=100)
    return [d.id for d, _ in found]


async def _pg_ids(both: Both, text: str, topic: str | None = None) -> list[int]:
    return [d.id for d, _ in await pg.search(both.pg, text, None, topic=topic, limit=100)]


async def test_the_index_gets_exactly_the_text_sqlites_index_gets(both: Both) -> None:
    for dev_id, d in enumerate(both.drafts, start=1):
        row = await both.lite.fetchone(
            "SELECT title, summary, tags, sources FROM developments_fts WHERE rowid = ?",
            (dev_id,),
        )
        assert row is not None
        assert pg.search_columns(d) == tuple(row)


# Ranked matches (bm25 against ts_rank_cd) are compared as sets; SQLite defines the order of
# substring matches without a ranked term (newest first), compared as lists.
RANKED = [
    "summit",
    "Summit",
    "tour",
    "tourism",
    "KOREA japan",
    "korea JAPAN",
    "summit zzzzunmatched",
    "zzzzunmatched",
    "Yonhap",
    "JoongAng",
    "north-korea",
    "north korea",
    "cafe",
    "CAFÉ",
    "seoul",
    "séoul",
    "u.s.",
    "ROK's",
    "naive",
    "t",
    "to",
    "s",
    "a kor ja sec uni",
    "ｋｏｒｅａ",
    '"x',
    "korea AND",
    "-japan",
    "foo:bar",
    "_",
    "summit _",
    "summit_talks",
    "missile",
    "日韓首脳",
    "정상회담",
    "東京都 서울",
    "北朝鮮 missile",
]
NEWEST_FIRST = ["東京", "日韓", "회담", "회담 東京", "韓", "서울 talks", "ミサ", "北朝 ZZ"]


@pytest.mark.parametrize("text", RANKED)
async def test_ranked_queries_find_the_same_developments(both: Both, text: str) -> None:
    assert sorted(await _pg_ids(both, text)) == sorted(await _lite_ids(both, text))


@pytest.mark.parametrize("text", NEWEST_FIRST)
async def test_substring_queries_find_the_same_developments_in_order(both: Both, text: str) -> None:
    assert await _pg_ids(both, text) == await _lite_ids(both, text)


async def test_the_queries_above_find_something(both: Both) -> None:
    found = [t for t in RANKED + NEWEST_FIRST if await _lite_ids(both, t)]
    assert len(found) >= 25  # the comparisons above are not of empty results only


async def test_a_topic_narrows_the_same_way(both: Both) -> None:
    for text in ("korea", "summit", "회담"):
        lite = await _lite_ids(both, text, topic="japan-korea")
        assert sorted(await _pg_ids(both, text, topic="japan-korea")) == sorted(lite)


async def test_the_best_match_is_the_same(both: Both) -> None:
    (first, snippet), *_ = await pg.search(both.pg, "summit", None)
    assert first.id == (await _lite_ids(both, "summit"))[0]
    assert f"{HIT_START}summit{HIT_END}" in snippet.lower()


async def test_snippets_mark_the_hits(both: Both) -> None:
    ((_, prefix), *_) = await pg.search(both.pg, "touris", None)
    assert f"{HIT_START}tourism{HIT_END}" in prefix.lower()
    ((_, accented), *_) = await pg.search(both.pg, "cafe", None)
    assert f"{HIT_START}Café{HIT_END}" in accented
    ((_, ja),) = await pg.search(both.pg, "東京", None)
    assert f"{HIT_START}東京{HIT_END}" in ja
    ((_, ko), *_) = await pg.search(both.pg, "정상회담", None)
    assert f"{HIT_START}정상회담{HIT_END}" in ko


async def test_a_one_letter_term_matches_the_whole_word_only(both: Both) -> None:
    assert await _pg_ids(both, "to")  # tourism and more, by prefix
    assert await _pg_ids(both, "t") == []  # no development has the word "t"


async def test_broad_queries_list_the_newest_first(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "BROAD_MATCHES", 3)
    for text in ("korea", "kor", "korea japan", "zzzz korea"):
        lite = await _lite_ids(both, text)
        assert lite == sorted(lite, reverse=True)
        assert await _pg_ids(both, text) == lite


async def test_the_index_follows_edits_and_removals(both: Both) -> None:
    edited = draft(title="Quokka accord", summary="東京の合意")
    async with both.pg.transaction() as w:
        await w.execute(
            "UPDATE developments SET title = ?, summary = ? WHERE id = 1",
            (edited.title, edited.summary),
        )
        await pg.search_put(w, 1, edited)
    assert await _pg_ids(both, "quokka") == [1]
    assert await _pg_ids(both, "東京") == [13, 1]  # newest first
    async with both.pg.transaction() as w:
        await pg.search_delete(w, [1, 13])
    assert await _pg_ids(both, "quokka") == []
    assert await _pg_ids(both, "東京") == []


async def test_a_search_past_its_time_budget_is_refused_as_too_broad(
    both: Both, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "SEARCH_BUDGET_S", 0.0)
    for text in ("summit", "日韓"):
        with pytest.raises(QueryTooBroad):
            await pg.search(both.pg, text, None)


async def test_a_read_still_running_at_its_deadline_is_cancelled(both: Both) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTooBroad):
        deadline = asyncio.get_running_loop().time() + 0.05
        await pg.fetch_within(both.pg, "SELECT pg_sleep(30)", (), deadline)
    assert time.monotonic() - started < 10
    # The server stopped the statement, and the pool's connections serve searches again.
    busy = await both.pg.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' "
        "AND state = 'active'"
    )
    assert busy == 0
    assert await pg.search(both.pg, "summit", None)


async def test_a_word_repeated_past_a_tsvectors_positions_is_indexed(both: Both) -> None:
    many = draft(title="Qz record", summary=" ".join(["qz"] * 320))  # 256 positions at most
    async with both.pg.transaction() as w:
        await w.execute("UPDATE developments SET summary = ? WHERE id = 2", (many.summary,))
        await pg.search_put(w, 2, many)
    assert await _pg_ids(both, "qz") == [2]
    assert await _pg_ids(both, "qz record") == [2]
