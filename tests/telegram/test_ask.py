"""/ask and inline `? question` through the real Application and the fake Bot API."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import MEMBER_TG, Running

# Run again in CI's second step, with the semantic extra installed.
pytestmark = pytest.mark.semantic


async def test_ask_answers_in_html_with_citations(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/ask Did Japan lift the export controls on Korea?")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert sent.parse_mode == "HTML" and sent.link_preview_off
    assert sent.plain.startswith("Question — Did Japan lift the export controls on Korea?")
    assert "Tokyo lifted the additional inspections" in sent.plain
    assert "Mar 2023" in sent.plain and "#4" in sent.plain
    assert "Based on" in sent.plain and "Yonhap News Agency" in sent.plain
    assert tg.fake.refusals == []


async def test_a_korean_question_gets_a_korean_frame(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/ask 한일 무역 규모는 얼마인가요?")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert "답변" in sent.plain and "근거" in sent.plain
    assert "$80 billion" in sent.plain and "2023년 3월 19일" in sent.plain


async def test_nothing_relevant_says_so(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/ask How do I bake sourdough bread?")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert "Nothing in the catalogue answers this question." in sent.plain
    assert "/search" in sent.plain


async def test_ask_without_a_question_gets_the_usage_line(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/ask")
    sent = (await tg.fake.wait_sent(MEMBER_TG))[0]
    assert sent.plain.startswith("usage: /ask question")


async def test_ask_is_in_the_command_menu(tg: Running) -> None:
    assert "ask" in [c["command"] for c in tg.fake.commands]


async def test_inline_question_offers_the_answer_to_share(tg: Running) -> None:
    tg.fake.inline(MEMBER_TG, "? 日本は韓国への輸出規制を解除したか")
    answered = await tg.fake.wait_for(lambda: tg.fake.inline_answers)
    (result,) = answered[0]["results"]
    assert result["title"].startswith("回答")
    assert result["description"].startswith("Tokyo lifted")
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert "Tokyo lifted the additional inspections" in content["message_text"]


async def test_inline_topic_queries_still_offer_briefs(tg: Running) -> None:
    tg.fake.inline(MEMBER_TG, "japan-korea")
    answered = await tg.fake.wait_for(lambda: tg.fake.inline_answers)
    assert answered[0]["results"][0]["id"] == "japan-korea"


async def test_asking_too_often_gets_a_wait_answer(tg: Running) -> None:
    for _ in range(4):
        tg.fake.message(MEMBER_TG, MEMBER_TG, "/ask Did Japan lift the export controls?")
    sent = await tg.fake.wait_sent(MEMBER_TG, 4)
    texts = [s.plain for s in sent]
    assert sum(t.startswith("Question — ") for t in texts) == 3, texts
    assert any("Too many question requests just now: wait 10 s and try again." in t for t in texts)
    assert tg.fake.refusals == []


async def test_inline_questions_count_as_questions(tg: Running) -> None:
    for _ in range(4):
        tg.fake.inline(MEMBER_TG, "? Did Japan lift the export controls?")
    await tg.fake.wait_for(lambda: len(tg.fake.inline_answers) == 4)
    refused = [a for a in tg.fake.inline_answers if not a["results"]]
    assert len(refused) == 1
    assert "Too many question requests" in refused[0]["button"]
