"""/ask on Discord through SimCord: an answer quoted from the catalogue, the developments it
rests on, the asker's language, abstention and refusals."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidInput, TooSoon
from tests.discord._support import (
    add_development,
    assert_no_pings,
    assert_within_limits,
    refusals,
    refused,
)
from tests.discord.conftest import text_of

# Run again in CI's second step, with the semantic extra installed.
pytestmark = pytest.mark.semantic


async def test_an_answer_with_its_sentence_date_and_citations(world) -> None:
    r = await world.member.slash(
        world.general, "ask", question="Did Japan lift the export controls on Korea?"
    )
    assert not r.ephemeral
    embed = r.response.embeds[0]
    assert embed.title == "Question — Did Japan lift the export controls on Korea?"
    assert "**Answer**" in embed.description
    assert "> Tokyo lifted the additional inspections" in embed.description
    assert "**Mar 2023** `#4`" in embed.description
    based_on = embed.description.split("**Based on**")[1]
    assert "Japan lifts the additional export inspections" in based_on
    assert "Yonhap News Agency" in based_on
    assert "best first" in embed.footer.text
    assert_within_limits(r.response)
    assert assert_no_pings(world.env) >= 1


async def test_a_japanese_question_gets_a_japanese_frame_and_english_text(world) -> None:
    r = await world.member.slash(
        world.general, "ask", question="日本は韓国への輸出規制を解除したか"
    )
    text = text_of(r)
    assert "回答" in text or "答え" in text, text
    assert "2023年3月" in text  # the date in the asker's language
    assert "Tokyo lifted the additional inspections" in text  # the development as written


async def test_a_korean_question_gets_a_korean_frame(world) -> None:
    r = await world.member.slash(world.general, "ask", question="한일 무역 규모는 얼마인가요?")
    text = text_of(r)
    assert "$80 billion" in text
    assert "2023년 3월 19일" in text


async def test_nothing_relevant_says_so_and_suggests_search(world) -> None:
    r = await world.member.slash(world.general, "ask", question="Who won the 2022 FIFA World Cup?")
    text = text_of(r)
    assert "Nothing in the catalogue answers this question." in text
    assert "`/search`" in text and "`/brief trilateral`" in text
    assert "**Answer**" not in text


async def test_a_server_s_own_development_answers_only_there(world) -> None:
    _, dev_id = await add_development(
        world.mod,
        world.general,
        title="Seoul and Tokyo open a hydrogen shipping corridor",
        summary="The two governments opened a hydrogen shipping corridor between their ports.",
    )
    question = "Is there a hydrogen shipping corridor?"
    here = await world.member.slash(world.general, "ask", question=question)
    assert f"`#{dev_id}`" in text_of(here)
    there = await world.beta_mod.slash(world.beta_general, "ask", question=question)
    assert f"`#{dev_id}`" not in text_of(there)


async def test_a_question_without_words_is_refused_privately(world) -> None:
    r = await world.member.slash(world.general, "ask", question="?!?")
    assert "**question**" in refused(r)
    assert [type(e) for e in refusals(world.env)] == [InvalidInput]
    assert world.general.history() == []


async def test_hostile_text_is_harmless(world) -> None:
    r = await world.member.slash(
        world.general, "ask", question='@everyone "summit" OR NEAR( * ) <@123> export controls'
    )
    assert not r.ephemeral
    assert "@\u200beveryone" in r.response.embeds[0].title
    assert assert_no_pings(world.env) >= 1


async def test_asking_too_often_is_told_to_wait(world) -> None:
    """/ask is costly: three in a row, then one every ten seconds per member; the fourth
    gets a private "wait N s" and another member still asks."""
    for _ in range(3):
        r = await world.member.slash(world.general, "ask", question="Did Japan lift controls?")
        assert not r.ephemeral
    r = await world.member.slash(world.general, "ask", question="Did Japan lift controls?")
    assert "Too many question requests just now: wait 10 s and try again." in refused(r)
    assert [type(e) for e in refusals(world.env)] == [TooSoon]
    other = await world.mod.slash(world.general, "ask", question="Did Japan lift controls?")
    assert not other.ephemeral
