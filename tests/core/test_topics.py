"""The topic registry: slugs, aliases, pair matching, suggestions, autocomplete ranking."""

from __future__ import annotations

import pytest

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
    assert err.value.suggestions  # never an empty hint
    assert all(get_topic(s) for s in err.value.suggestions)


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
