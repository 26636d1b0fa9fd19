"""Reading questions: periods, places and the glossary in three languages, stopwords."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.ask.service import topic_for
from bot.core.ask.understand import Period, find_period, understand

TODAY = date(2023, 5, 1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("What happened in April 2023?", date(2023, 4, 1), date(2023, 4, 30)),
        ("the talks on April 14, 2023", date(2023, 4, 14), date(2023, 4, 14)),
        ("the meeting of 16 March 2023", date(2023, 3, 16), date(2023, 3, 16)),
        ("news from 2023-04", date(2023, 4, 1), date(2023, 4, 30)),
        ("2023年4月の日韓関係", date(2023, 4, 1), date(2023, 4, 30)),
        ("2023年3月16日の会談", date(2023, 3, 16), date(2023, 3, 16)),
        ("2023년 4월 국방 회담", date(2023, 4, 1), date(2023, 4, 30)),
        ("2023년 4월 13일 관광", date(2023, 4, 13), date(2023, 4, 13)),
        ("controls since 2019", date(2019, 1, 1), date(2019, 12, 31)),
        ("What happened last month?", date(2023, 4, 1), date(2023, 4, 30)),
        ("先月の動き", date(2023, 4, 1), date(2023, 4, 30)),
        ("지난달 소식", date(2023, 4, 1), date(2023, 4, 30)),
        ("昨年の貿易", date(2022, 1, 1), date(2022, 12, 31)),
        ("올해 무역", date(2023, 1, 1), date(2023, 12, 31)),
        ("the past 30 days", date(2023, 4, 1), date(2023, 5, 1)),
    ],
)
def test_periods_in_three_languages(text: str, start: date, end: date) -> None:
    assert find_period(text, TODAY) == Period(start, end)


def test_no_period_when_none_is_named() -> None:
    assert find_period("Did Japan lift the export controls?", TODAY) is None
    assert find_period("an impossible 2023-02-30 day", TODAY) is None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("日韓の貿易", "japan-korea"),
        ("한일 무역", "japan-korea"),
        ("Japan and South Korea trade", "japan-korea"),
        ("北朝鮮のミサイル", "north-korea"),
        ("북한 미사일", "north-korea"),
        ("North Korea missiles", "north-korea"),
        ("日米韓の訓練", "trilateral"),
        ("한미일 훈련", "trilateral"),
        ("the US and Japan", "us-japan"),
        ("중국의 영향력", "china"),
    ],
)
def test_places_point_to_the_same_topics_in_every_language(text: str, topic: str) -> None:
    assert topic_for(understand(text, TODAY).countries) == topic


def test_the_glossary_maps_three_languages_to_one_concept() -> None:
    keys = [
        {c.key for c in understand(text, TODAY).subject_concepts}
        for text in ("export controls", "輸出規制", "수출 규제", "수출규제")
    ]
    assert all("export-controls" in k for k in keys), keys
    labour = [
        {c.key for c in understand(text, TODAY).subject_concepts}
        for text in ("forced labour", "forced labor", "徴用工", "강제징용")
    ]
    assert all("forced-labour" in k for k in labour), labour


def test_stopwords_and_question_grammar_are_dropped() -> None:
    q = understand("What did the tourism ministers say about it?", TODAY)
    assert q.words == ()
    assert {c.key for c in q.concepts} == {"tourism", "minister"}
    ko = understand("한일 무역 규모는 얼마인가요?", TODAY)
    assert ko.cjk_words == ()
    ja = understand("東京の天気はどうですか", TODAY)
    assert ja.cjk_words == ("天気",)
    assert ja.language == "ja" and ko.language == "ko"


def test_us_is_a_country_only_when_written_as_one() -> None:
    assert "US" in understand("What did the US say?", TODAY).countries
    assert "US" in understand("U.S. troops", TODAY).countries
    assert "US" not in understand("Can you tell us about tourism?", TODAY).countries


def test_a_question_of_only_grammar_is_empty() -> None:
    assert understand("what is it?", TODAY).is_empty
    assert not understand("What happened in April 2023?", TODAY).is_empty


def test_a_long_question_is_read_for_a_bounded_number_of_terms() -> None:
    words = " ".join(f"word{n}x" for n in range(200))
    glossary = (
        "export controls forced labour tourism drills missile gsomia wagner nuclear alliance "
        "summit trade semiconductors intelligence ukraine rivalry influence"
    )
    q = understand(f"{glossary} {words}", TODAY)
    assert len(q.words) <= 12 and len(q.concepts) <= 12
