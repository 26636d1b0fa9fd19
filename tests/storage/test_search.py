"""Full-text search: the index follows every write, and no user text breaks a query."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core import lookup
from bot.core.catalogue import Catalogue
from bot.core.dataset import load_starter
from bot.domain.errors import InvalidInput, QueryTooBroad
from bot.domain.scope import Scope
from storage import catalogue as queries
from storage.catalogue import HIT_END, HIT_START
from storage.search_query import match_expression, query_terms
from storage.sqlite.database import Database
from tests.helpers import EDITOR, MOD_A, SCOPE_A, SCOPE_B, FixedClock, draft


async def _ids(db: Database, text: str, scope: Scope | None = None) -> list[int]:
    return [d.id for d, _ in await queries.search(db, text, scope)]


async def test_search_finds_titles_summaries_tags_and_sources(db: Database) -> None:
    hits = await queries.search(db, "summit", None)
    assert hits and hits[0][0].seed_key == "yoon-kishida-summit-2023-03-16"
    snippet = hits[0][1]
    assert f"{HIT_START}summit{HIT_END}" in snippet.lower()
    assert await _ids(db, "Yonhap")  # a source publisher
    assert await _ids(db, "JoongAng")
    assert await _ids(db, "tour")  # prefix match
    assert await _ids(db, "KOREA japan") == await _ids(db, "korea JAPAN")


async def test_search_falls_back_to_any_term(db: Database) -> None:
    assert await _ids(db, "summit zzzzunmatched")
    assert await _ids(db, "zzzzunmatched") == []


async def test_fts_follows_add_edit_and_retract(catalogue: Catalogue, db: Database) -> None:
    dev = await catalogue.add(
        EDITOR, draft(title="Quokka accord signed", summary="A marsupial memorandum.")
    )
    assert await _ids(db, "quokka") == [dev.id]
    assert await _ids(db, "marsupial") == [dev.id]
    await catalogue.edit(
        EDITOR,
        dev.id,
        draft(
            title="Wombat accord signed",
            summary="A burrowing memorandum.",
            tags="wombats",
            sources="Platypus Press | A citation",
        ),
    )
    assert await _ids(db, "quokka") == []
    assert await _ids(db, "marsupial") == []
    assert await _ids(db, "wombat") == [dev.id]
    assert await _ids(db, "burrowing") == [dev.id]
    assert await _ids(db, "platypus") == [dev.id]
    assert await db.scalar("SELECT COUNT(*) FROM developments_fts WHERE rowid = ?", (dev.id,)) == 1
    await catalogue.retract(EDITOR, dev.id, "test")
    assert await _ids(db, "wombat") == []
    assert await db.scalar("SELECT COUNT(*) FROM developments_fts WHERE rowid = ?", (dev.id,)) == 0


async def test_search_respects_scope_and_topic(catalogue: Catalogue, db: Database) -> None:
    own = await catalogue.add(MOD_A, draft(title="Kangaroo exchange programme"))
    assert await _ids(db, "kangaroo", SCOPE_A) == [own.id]
    assert await _ids(db, "kangaroo", SCOPE_B) == []
    assert await _ids(db, "kangaroo", None) == []
    in_russia = await lookup.search(db, "deal", None, topic_name="russia")
    assert in_russia.hits and all("russia" in h.development.topics for h in in_russia.hits)
    assert not (await lookup.search(db, "summit", None, topic_name="russia")).hits


async def test_lookup_search_needs_a_word(db: Database) -> None:
    for text in ("", "   ", "***", '"', "() -", "\x00\x00"):
        with pytest.raises(InvalidInput) as err:
            await lookup.search(db, text, None)
        assert err.value.field == "query"


def test_query_terms_and_expression() -> None:
    assert query_terms('korea AND "x -japan foo:bar') == ["korea", "AND", '"x', "-japan", "foo:bar"]
    assert query_terms("Korea korea KOREA") == ["Korea"]
    assert query_terms("* ( ) -") == []
    assert len(query_terms(" ".join(f"w{i}" for i in range(50)))) == 12
    assert match_expression(['"x', "yy"]) == '"""x"* "yy"*'
    assert match_expression(["ab", "cd"], any_term=True) == '"ab"* OR "cd"*'


def test_prefixes_are_limited_one_letter_terms_and_terms_past_the_cap_are_whole_words() -> None:
    # Twelve one-letter prefixes took seconds at 100,000 developments (SQLite merges the
    # lists of every word with that prefix).
    letters = list("abcdefghijkl")
    assert match_expression(letters) == " ".join(f'"{c}"' for c in letters)
    assert match_expression(["a", "kor", "ja", "sec", "uni"]) == '"a" "kor"* "ja"* "sec"* "uni"'
    assert match_expression(["kor", "ja"], prefix=False) == '"kor" "ja"'


async def test_a_one_letter_term_matches_the_whole_word_only(db: Database) -> None:
    assert await _ids(db, "to")  # "tourism" and more, by prefix
    assert await _ids(db, "t") == []  # no development has the word "t"


async def test_a_search_past_its_time_budget_is_refused_as_too_broad(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "SEARCH_BUDGET_S", 0.0)
    for text in ("summit", "日韓"):
        with pytest.raises(QueryTooBroad):
            await lookup.search(db, text, None)


HOSTILE = [
    '"',
    '"x',
    'x"',
    "korea AND",
    "AND OR NOT",
    "NOT japan",
    "NEAR(korea japan, 2)",
    "NEAR(",
    "-japan",
    "foo:bar",
    "title:korea",
    "{title summary}: korea",
    "(korea",
    "korea)",
    "((((",
    "*",
    "korea*",
    "^korea",
    "\x00",
    "korea\x00japan",
    "x" * 10_000,
    "korea " * 2_000,
    "_",
    "'; DROP TABLE developments; --",
    "\u202e\u2066",
    "한국 일본",
    "日本",
]

_hostile_words = st.sampled_from(
    ["AND", "OR", "NOT", "NEAR", '"', "(", ")", "*", ":", "-", "^", "+", "{", "}", "korea", "x"]
)
_hostile = st.one_of(
    st.text(max_size=200),
    st.lists(_hostile_words, max_size=12).map(" ".join),
    st.lists(_hostile_words, max_size=12).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.text(min_size=1, max_size=3).map(lambda s: s * 4000),
)


async def _open(tmp_path: Path) -> Database:
    db = await Database.open(tmp_path / "hostile.sqlite3")
    await load_starter(db, FixedClock())
    return db


async def _check(db: Database, text: str) -> None:
    results = await queries.search(db, text, SCOPE_A)
    assert len(results) <= 10
    for _, snippet in results:
        assert isinstance(snippet, str)
    try:
        found = await lookup.search(db, text, None)
    except InvalidInput as exc:
        assert exc.field == "query"
        assert not query_terms(text)
    else:
        assert query_terms(text)
        assert len(found.hits) <= 10
    await queries.autocomplete_ids(db, text, SCOPE_A)


def test_hostile_search_strings_never_raise_sqlite_errors(tmp_path: Path) -> None:
    seen: list[str] = []
    with asyncio.Runner() as runner:
        db = runner.run(_open(tmp_path))
        try:

            @settings(
                max_examples=200,
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture],
            )
            @given(text=_hostile)
            def check(text: str) -> None:
                seen.append(text)
                runner.run(_check(db, text))

            for text in HOSTILE:
                check = example(text=text)(check)
            check()
            assert len(seen) >= len(HOSTILE) + 50
            assert runner.run(db.integrity_check()) == "ok"
        finally:
            runner.run(db.close())


async def test_a_rare_term_is_ranked_without_probing_every_term_together(
    catalogue: Catalogue, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One word in many rows, the other in one: the rare term alone shows that both together
    # are rare, so the probe of both together (the dearer one when the common word is in
    # most rows) is not made, and the match is ranked.
    monkeypatch.setattr(queries, "BROAD_MATCHES", 3)
    for i in range(5):
        await catalogue.add(EDITOR, draft(title=f"Wombat alliance meeting {i}"))
    rare = await catalogue.add(EDITOR, draft(title="Wombat quokka accord"))
    probed: list[str] = []
    real = queries._at_least_broad

    async def recording(db_: Database, expression: str, deadline: float) -> bool:
        probed.append(expression)
        return await real(db_, expression, deadline)

    monkeypatch.setattr(queries, "_at_least_broad", recording)
    assert await _ids(db, "wombat quokka") == [rare.id]
    # (No longer word begins with "quokka": its prefix probe would find what its whole
    # word did, and is not made either.)
    assert probed == ['"wombat"', '"quokka"']


_WORDS_CORPUS = [
    "Unitedly the wombat council met",
    "United wombat council statement",
    "Unit of wombat rangers deployed",
    "Statesman visits the wombat reserve",
    "States agree on quokka census",
    "Quokkas counted by the council",
]
_WORDS_QUERIES = [
    "united", "unit", "unitedly", "states", "statesman", "quokka", "wombat council",
    "united council", "unit wombat", "united wombat", "quokka states", "council quokkas", "nothing united",
    "north-korea", "u.s.", "wombat united rangers council",
]  # fmt: skip


async def test_a_term_no_longer_word_begins_with_finds_what_its_prefix_found(
    catalogue: Catalogue, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Such a term ("statesman": no "statesmanship" indexed) is matched as a whole word,
    # without the prefix merge; one that longer words begin with ("united": "unitedly")
    # keeps its prefix. Every query finds the same, in the same order, with the same
    # snippets, as with every term prefix-matched.
    monkeypatch.setattr(queries, "BROAD_MATCHES", 3)
    for title in _WORDS_CORPUS:
        await catalogue.add(EDITOR, draft(title=title))
    expressions: list[str] = []
    real = db.fetchall

    async def recording(sql: str, params: Sequence[object] = (), **kw: Any) -> Any:
        if "MATCH" in sql and "bm25" in sql:
            expressions.append(str(params[0]))
        return await real(sql, params, **kw)

    monkeypatch.setattr(db, "fetchall", recording)
    found = {q: await queries.search(db, q, None) for q in _WORDS_QUERIES}
    assert '"statesman"' in expressions and '"united"*' in " ".join(expressions)

    async def never(self: object, term: str) -> bool:
        return False

    monkeypatch.setattr(queries._WordList, "unextended", never)
    for q in _WORDS_QUERIES:
        with_prefixes = await queries.search(db, q, None)
        assert [(d.id, s) for d, s in found[q]] == [(d.id, s) for d, s in with_prefixes], q
    assert {d.title for d, _ in found["united wombat"]} == {
        "Unitedly the wombat council met",
        "United wombat council statement",
    }
