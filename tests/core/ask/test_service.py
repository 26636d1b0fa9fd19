"""Answers from the starter catalogue: extractive, dated, cited, scoped; or an abstention."""

from __future__ import annotations

import pytest

from bot.core.ask.service import Asker, _weights, fuse, rarity
from bot.core.ask.understand import understand
from bot.core.catalogue import Catalogue
from bot.domain.errors import InvalidInput
from storage import ask as ask_queries
from storage.contract import Db
from tests.helpers import EDITOR, MOD_A, SCOPE_A, SCOPE_B, FixedClock, draft, row_counts

# Run again in CI's second step, with the semantic extra installed.
pytestmark = pytest.mark.semantic


# Every test here runs on SQLite and on PostgreSQL (`any_db`).
@pytest.fixture
def asker(any_db: Db, clock: FixedClock) -> Asker:
    return Asker(any_db, clock)


@pytest.fixture
def catalogue(any_db: Db, clock: FixedClock) -> Catalogue:
    return Catalogue(any_db, clock)


async def test_an_english_question_gets_the_development_s_own_sentence(asker: Asker) -> None:
    answer = await asker.ask("Did Japan lift the export controls on Korea?", None)
    assert answer.confident
    best = answer.citations[0]
    assert best.title.startswith("Japan lifts the additional export inspections")
    assert answer.lines[0].text in best.summary  # quoted, never composed
    assert answer.text is not None and "(Mar 2023, #4)" in answer.text


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("日本は韓国への輸出規制を解除したか", "Japan lifts the additional export inspections"),
        ("한일 무역 규모는 얼마인가요?", "Japan–South Korea trade volume exceeds $80 billion"),
        ("徴用工問題の解決に向けた動きは", "Steps taken to resolve the wartime forced-labour"),
        ("북한과 러시아의 무기 거래는?", "Reported Russia–North Korea 'food for weapons' deal"),
    ],
)
async def test_japanese_and_korean_questions_find_english_developments(
    asker: Asker, question: str, title: str
) -> None:
    answer = await asker.ask(question, None)
    assert answer.confident, question
    assert answer.citations[0].title.startswith(title)
    assert answer.language in ("ja", "ko")


async def test_a_question_the_catalogue_cannot_answer_gets_no_answer(asker: Asker) -> None:
    answer = await asker.ask("Who won the 2022 FIFA World Cup?", None)
    assert not answer.confident
    assert answer.text is None and answer.lines == () and answer.citations == ()
    assert answer.to_json() == {"answer": None, "confident": False, "citations": []}


async def test_the_abstention_suggests_the_question_s_topic(asker: Asker) -> None:
    answer = await asker.ask("日韓の天気はどうですか", None)
    assert not answer.confident
    assert answer.suggestion is not None and answer.suggestion.slug == "japan-korea"


async def test_a_period_alone_is_answered_from_that_period(asker: Asker) -> None:
    answer = await asker.ask("What happened in April 2023?", None)
    assert answer.confident
    assert all(d.occurred.start.strftime("%Y-%m") == "2023-04" for d in answer.citations)


async def test_last_month_counts_from_the_clock(asker: Asker, clock: FixedClock) -> None:
    # The fixed clock says 1 May 2023: last month is April.
    answer = await asker.ask("What did the tourism ministers agree last month?", None)
    assert answer.confident
    assert answer.citations[0].title.startswith("South Korean and Japanese tourism ministers")


async def test_json_has_the_issue_s_shape(asker: Asker) -> None:
    shown = (await asker.ask("What did the 13th Trilateral Defense Talks decide?", None)).to_json()
    assert set(shown) == {"answer", "confident", "citations"}
    assert shown["confident"] is True and isinstance(shown["answer"], str)
    first = shown["citations"][0]
    assert set(first) == {"id", "title", "date", "sources"}
    assert first["date"] == "2023-04-14"
    assert first["sources"][0]["publisher"] == "Yonhap News Agency"


async def test_a_server_s_own_development_is_cited_only_there(
    asker: Asker, catalogue: Catalogue
) -> None:
    own = await catalogue.add(
        MOD_A,
        draft(
            title="Seoul and Tokyo agree a hydrogen shipping corridor",
            summary="The two governments agreed a hydrogen shipping corridor from 2024.",
        ),
    )
    question = "Is there a hydrogen shipping corridor between Seoul and Tokyo?"
    here = await asker.ask(question, SCOPE_A)
    assert here.confident and here.citations[0].id == own.id
    elsewhere = await asker.ask(question, SCOPE_B)
    assert own.id not in {d.id for d in elsewhere.citations}
    assert not elsewhere.confident


async def test_a_retracted_development_is_never_cited(asker: Asker, catalogue: Catalogue) -> None:
    await catalogue.retract(EDITOR, 8, "duplicate")
    answer = await asker.ask("What did the 13th Trilateral Defense Talks decide?", None)
    assert 8 not in {d.id for d in answer.citations}


async def test_relaxes_to_any_word_when_not_every_word_matches(asker: Asker) -> None:
    # "zeppelin" is in no development; the rest of the question still finds the drills.
    answer = await asker.ask("regular missile defence drills zeppelin", None)
    assert answer.citations and answer.citations[0].id == 8


async def test_asking_reads_and_never_writes(asker: Asker, any_db: Db) -> None:
    before = await row_counts(any_db)
    await asker.ask("Did Japan lift the export controls on Korea?", None)
    assert await row_counts(any_db) == before


@pytest.mark.parametrize("text", ["", "   ", "?!?", "\x00\x01"])
async def test_a_question_without_words_is_refused(asker: Asker, text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await asker.ask(text, None)
    assert refused.value.field == "question"


async def test_common_terms_weigh_less(any_db: Db) -> None:
    total = await ask_queries.indexed_count(any_db)
    common = await ask_queries.wording_count(any_db, [("korea",)])
    rare = await ask_queries.wording_count(any_db, [("wagner",)])
    assert common > rare == 1
    assert rarity(common / total) < rarity(rare / total)
    # A hostile wording is quoted, never query syntax.
    assert await ask_queries.wording_count(any_db, [('"korea OR *',)]) == 0
    assert await ask_queries.wording_count(any_db, [("korea' | 'wagner",)]) == 0


async def test_term_counts_are_made_afresh_when_the_catalogue_grows(
    asker: Asker, catalogue: Catalogue, clock: FixedClock
) -> None:
    question = understand("Is there a hydrogen corridor?", clock().date())
    before = await _weights(asker.db, question, asker.counts)
    for n in range(4):
        await catalogue.add(
            EDITOR,
            draft(
                title=f"Hydrogen corridor talks, round {n + 1}",
                summary="Officials discussed a hydrogen corridor.",
            ),
        )
    after = await _weights(asker.db, question, asker.counts)
    # Four of sixteen developments now mention it: a common word, weighed as one.
    assert after.words["hydrogen"] < before.words["hydrogen"] == 1.0


async def test_a_question_costs_a_few_full_text_queries_not_one_per_word(
    asker: Asker, any_db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "Did the tourism ministers of Korea and Japan agree on visa waivers in April 2023?"
    await asker.ask(question, None)  # term counts are made once, then remembered
    searches: list[str] = []
    for name in ("fetchall", "fetchone", "scalar"):
        real = getattr(any_db, name)

        async def counted(sql: str, *args: object, _real: object = real, **kw: object) -> object:
            if "developments_fts" in sql or "development_search" in sql:
                searches.append(sql)
            return await _real(sql, *args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(any_db, name, counted)
    answer = await asker.ask(question, None)
    assert answer.confident and answer.citations[0].title.startswith("South Korean and Japanese")
    assert len(searches) <= 2, searches


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = fuse([1, 2, 3], [3, 1, 4])
    assert max(fused, key=lambda k: fused[k]) == 1
    assert fused[3] > fused[2] and fused[4] > 0
