"""The topic registry: slugs, aliases, pair matching, suggestions, autocomplete ranking."""

from __future__ import annotations

import pytest

from bot import i18n
from bot.core.topics import all_topics, get_topic, rank_topics, topics_for
from bot.domain.errors import UnknownTopic

REQUIRED = (
    "trilateral",
    "japan-korea",
    "us-japan",
    "us-korea",
    "north-korea",
    "china",
    "russia",
    "security",
    "economy",
    "diplomacy",
    "society",
)


def test_registry_has_every_required_topic() -> None:
    slugs = [t.slug for t in all_topics()]
    assert set(REQUIRED) <= set(slugs)
    assert len(slugs) == len(set(slugs))
    for topic in all_topics():
        assert topic.title
        assert topic.description and "\n" not in topic.description


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("japan-korea", "japan-korea"),
        ("Japan Korea", "japan-korea"),
        ("korea-japan", "japan-korea"),
        ("Japan–South Korea", "japan-korea"),
        ("japan_south_korea", "japan-korea"),
        (" US-JAPAN ", "us-japan"),
        ("korea-us", "us-korea"),
        ("DPRK", "north-korea"),
        ("nk", "north-korea"),
        ("PRC", "china"),
        ("us-japan-south-korea", "trilateral"),
    ],
)
def test_names_and_aliases(name: str, slug: str) -> None:
    assert get_topic(name).slug == slug


def test_pair_topics_need_both_countries() -> None:
    assert "japan-korea" in topics_for(["JP", "KR"], "economy")
    assert "japan-korea" in topics_for(["JP", "KR", "US"], "security")
    assert "japan-korea" not in topics_for(["JP"], "economy")
    assert "japan-korea" not in topics_for(["KR", "US"], "economy")
    assert set(topics_for(["US", "KR"], "security")) == {"us-korea", "security"}
    assert "trilateral" in topics_for(["US", "JP", "KR"], "diplomacy")
    assert "trilateral" not in topics_for(["JP", "KR"], "diplomacy")
    assert set(topics_for(["KP", "RU"], "security")) == {"north-korea", "russia", "security"}


def test_unknown_topic_suggests() -> None:
    with pytest.raises(UnknownTopic) as err:
        get_topic("japan-kroea")
    assert "japan-korea" in err.value.suggestions
    assert "japan-kroea" in str(err.value)
    assert "Did you mean" in str(err.value)
    with pytest.raises(UnknownTopic) as err:
        get_topic("zzzzzzzz")
    assert err.value.suggestions == []  # nothing is near: no made-up "did you mean"
    # … and the answer lists the topics instead
    assert "japan-korea, us-japan" in i18n.error_message(err.value)


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("北朝鮮", "north-korea"),
        ("북한", "north-korea"),
        ("日韓", "japan-korea"),
        ("한일", "japan-korea"),
        ("日米", "us-japan"),
        ("한미", "us-korea"),
        ("日米韓", "trilateral"),
        ("한미일", "trilateral"),
        ("中国", "china"),
        ("중국", "china"),
        ("ロシア", "russia"),
        ("러시아", "russia"),
        ("安全保障", "security"),
        ("경제", "economy"),
        ("米韓", "us-korea"),  # the title as Japanese readers see it
        ("ＪＡＰＡＮ－ＫＯＲＥＡ", "japan-korea"),  # full width
        ("US–Japan–South Korea", "trilateral"),  # the English title
    ],
)
def test_topics_by_their_names_in_japanese_and_korean(typed: str, slug: str) -> None:
    assert get_topic(typed).slug == slug


@pytest.mark.parametrize(
    ("typed", "near"),
    [("북헌", "north-korea"), ("日米韓国", "trilateral"), ("chian", "china"), ("rusia", "russia")],
)
def test_did_you_mean_offers_the_nearest_names_in_any_language(typed: str, near: str) -> None:
    with pytest.raises(UnknownTopic) as err:
        get_topic(typed)
    assert err.value.suggestions[0] == near


def test_autocomplete_finds_topics_by_japanese_and_korean_names() -> None:
    assert rank_topics("북")[0].slug == "north-korea"
    assert rank_topics("日韓")[0].slug == "japan-korea"
    assert "trilateral" in [t.slug for t in rank_topics("한미")]


def test_unknown_topic_name_is_cut() -> None:
    with pytest.raises(UnknownTopic) as err:
        get_topic("x" * 5000)
    assert len(str(err.value)) < 300


def test_rank_topics() -> None:
    assert len(rank_topics("")) <= 25
    assert [t.slug for t in rank_topics("")] == [t.slug for t in all_topics()][:25]
    assert rank_topics("us")[0].slug in ("us-japan", "us-korea")
    assert rank_topics("japan")[0].slug == "japan-korea"
    assert "north-korea" in [t.slug for t in rank_topics("korea")]
    assert rank_topics("qqqqqqqq") == []
    assert len(rank_topics("a", limit=3)) <= 3
    for query in ("", "a", "e", "korea", "x" * 200):
        assert len(rank_topics(query)) <= 25
