"""/search: best match first with highlighted snippets, topic filter, refusals."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidInput, QueryTooBroad, TooSoon, UnknownTopic
from storage import catalogue as catalogue_queries
from tests.conftest import BACKENDS
from tests.discord._support import add_development, refusals, refused
from tests.discord.conftest import text_of


async def test_best_match_first_with_snippets(world) -> None:
    r = await world.member.slash(world.general, "search", query="export controls")
    assert not r.ephemeral
    embed = r.response.embeds[0]
    assert embed.title == "Search — export controls"
    first = embed.description.splitlines()[0]
    assert "Japan lifts the additional export inspections" in first and "`#4`" in first
    assert "> " in embed.description and "**export**" in embed.description.lower()
    assert "best first" in embed.footer.text


@pytest.mark.parametrize("backend", BACKENDS)
async def test_search_finds_tags_and_sources(world, backend: str) -> None:
    # End to end on both backends: a moderator adds, a member's /search and /brief see it.
    assert world.env.bot.services.db.dialect == backend
    _, dev_id = await add_development(
        world.mod,
        world.general,
        choices={"tags": "rare-earths"},
        sources="https://example.com/x | Nikkei Asia | Minerals deal explained",
    )
    by_tag = await world.member.slash(world.general, "search", query="rare-earths")
    by_source = await world.member.slash(world.general, "search", query="Nikkei")
    assert f"`#{dev_id}`" in text_of(by_tag)
    assert f"`#{dev_id}`" in text_of(by_source)
    brief = await world.member.slash(world.general, "brief", topic="japan-korea", period="30d")
    assert "Seoul and Tokyo sign a supply-chain pact" in text_of(brief)
    # Another server's members see neither.
    elsewhere = await world.beta_mod.slash(world.beta_general, "search", query="rare-earths")
    assert f"`#{dev_id}`" not in text_of(elsewhere)


async def test_topic_narrows_the_search(world) -> None:
    everywhere = await world.member.slash(world.general, "search", query="summit")
    assert "`#2`" in text_of(everywhere)
    in_russia = await world.member.slash(world.general, "search", query="summit", topic="russia")
    assert "No match for “summit” in Russia" in text_of(in_russia)
    assert "in Russia" in in_russia.response.embeds[0].footer.text


async def test_no_match(world) -> None:
    r = await world.member.slash(world.general, "search", query="zeppelin")
    assert "No match for “zeppelin”" in text_of(r)
    assert r.response.embeds[0].footer.text.startswith("0 matches")


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"query": "!!! ???"}, InvalidInput, "**query**"),
        ({"query": "summit", "topic": "atlantis"}, UnknownTopic, "no topic called 'atlantis'"),
    ],
)
async def test_bad_queries_are_refused(world, options, error, words) -> None:
    r = await world.member.slash(world.general, "search", **options)
    assert words in refused(r)
    assert [type(e) for e in refusals(world.env)] == [error]
    assert world.general.history() == []


async def test_hostile_search_text_is_harmless(world) -> None:
    r = await world.member.slash(world.general, "search", query='"summit" OR NEAR( * ) -x ^')
    assert not r.ephemeral  # answered, no database error
    assert r.response.embeds[0].title.startswith("Search — ")


async def test_topic_autocomplete(world) -> None:
    choices = await world.member.autocomplete(world.general, "search", "topic", "rus")
    assert choices[0]["value"] == "russia"


async def test_a_member_searching_too_often_is_told_to_wait(world) -> None:
    """Search is costly: a burst of five, then one every two seconds per member; the
    sixth in a row gets a private "wait N s", and another member still searches."""
    for _ in range(5):
        r = await world.member.slash(world.general, "search", query="summit")
        assert not r.ephemeral
    r = await world.member.slash(world.general, "search", query="summit")
    assert "Too many search requests just now: wait 2 s and try again." in refused(r)
    assert [type(e) for e in refusals(world.env)] == [TooSoon]
    other = await world.mod.slash(world.general, "search", query="summit")
    assert not other.ephemeral and "`#2`" in text_of(other)


async def test_charts_are_limited_per_member(world) -> None:
    for _ in range(2):
        await world.member.slash(world.general, "timeline", topic="japan-korea", chart=True)
    r = await world.member.slash(world.general, "timeline", topic="japan-korea", chart=True)
    assert "Too many chart requests just now: wait 15 s and try again." in refused(r)
    assert [type(e) for e in refusals(world.env)] == [TooSoon]
    plain = await world.member.slash(world.general, "timeline", topic="japan-korea")
    assert not plain.ephemeral  # a timeline without a chart is cheap: never limited


async def test_a_search_past_its_time_budget_is_answered_too_broad(world, monkeypatch) -> None:
    monkeypatch.setattr(catalogue_queries, "SEARCH_BUDGET_S", 0.0)
    r = await world.member.slash(world.general, "search", query="summit")
    assert "too broad to answer quickly" in refused(r)
    assert [type(e) for e in refusals(world.env)] == [QueryTooBroad]
    assert world.general.history() == []
