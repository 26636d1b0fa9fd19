"""/brief: bottom line first, period and domain filters, topic autocomplete, and a
development added through the form showing up at once."""

from __future__ import annotations

from bot.domain.errors import UnknownTopic
from tests.discord._support import add_development, refusals, refused
from tests.discord.conftest import text_of

STARTER_BOTTOM_LINE = "US–China rivalry and North Korea's military activities"


async def test_brief_puts_the_bottom_line_first(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="trilateral")
    assert not r.ephemeral
    embed = r.response.embeds[0]
    assert embed.title == "US–Japan–South Korea — 📈 improving"
    description = embed.description
    assert description.startswith("**Bottom line** · as of 14 Apr 2023 · all time")
    order = [
        description.index(STARTER_BOTTOM_LINE),
        description.index("**Key developments**"),
        description.index("**Context**"),
        description.index("**What to watch**"),
        description.index("**Sources**"),
    ]
    assert order == sorted(order)
    assert "Regular trilateral missile-defence and anti-submarine drills" in description
    assert "1. *" in description  # numbered citations
    assert "`#8`" in description  # ids shown
    # public: the channel shows it to everyone
    assert world.general.last_message.embeds[0].title == embed.title


async def test_topic_without_assessment_says_so(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="us-japan")
    assert r.response.embeds[0].title == "US–Japan — no assessment yet"
    assert "`/assessment set`" in text_of(r)


async def test_starter_brief_opens_with_the_articles_assessment_and_its_basis(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert r.response.embeds[0].title == "Japan–South Korea — 📈 improving"
    text = text_of(r)
    assert "more positive than ever" in text
    assert "*Based on:*" in text and "ANKASAM" in text


async def test_period_and_domain_filter(world) -> None:
    # The starter dataset is from 2023; the clock says November 2026.
    recent = await world.member.slash(world.general, "brief", topic="japan-korea", period="7d")
    assert "Nothing recorded for Japan–South Korea in the last 7 days" in text_of(recent)
    economy = await world.member.slash(
        world.general, "brief", topic="japan-korea", domain="economy"
    )
    text = text_of(economy)
    assert "Japan lifts the additional export inspections" in text
    assert "trade volume exceeds $80 billion" in text
    assert "hold a summit in Tokyo" not in text
    assert "all time · economy" in text


async def test_unknown_topic_is_refused_with_suggestions(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="japan-koera")
    text = refused(r)
    assert "There is no topic called 'japan-koera'" in text and "japan-korea" in text
    assert [type(e) for e in refusals(world.env)] == [UnknownTopic]
    assert world.general.history() == []


async def test_blank_topic_is_refused(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="  ")
    assert "There is no topic" in refused(r)
    assert [type(e) for e in refusals(world.env)] == [UnknownTopic]


async def test_topic_autocomplete(world) -> None:
    choices = await world.member.autocomplete(world.general, "brief", "topic", "kor")
    values = [c["value"] for c in choices]
    assert "japan-korea" in values and "north-korea" in values and "us-korea" in values
    assert "china" not in values
    assert all(len(c["name"]) <= 100 for c in choices)
    everything = await world.member.autocomplete(world.general, "brief", "topic", "")
    assert {"trilateral", "japan-korea", "security", "society"} <= {c["value"] for c in everything}
    assert len(everything) <= 25


async def test_added_development_appears_in_the_brief(world) -> None:
    before = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert "supply-chain pact" not in text_of(before)
    _, dev_id = await add_development(world.mod, world.general, choices={"importance": "3"})
    after = await world.member.slash(world.general, "brief", topic="japan-korea")
    text = text_of(after)
    assert f"Seoul and Tokyo sign a supply-chain pact `#{dev_id}` *(this server)*" in text
    assert "as of 20 Nov 2026" in text
    assert "[Seoul and Tokyo sign a pact](<https://example.com/report>) — Example Wire" in text
    total_before = int(before.response.embeds[0].footer.text.split()[0])
    assert after.response.embeds[0].footer.text.startswith(f"{total_before + 1} developments")


async def test_topics_by_their_japanese_and_korean_names(world) -> None:
    choices = await world.member.autocomplete(world.general, "brief", "topic", "북한")
    assert choices[0]["value"] == "north-korea"
    choices = await world.member.autocomplete(world.general, "brief", "topic", "日韓")
    assert choices[0]["value"] == "japan-korea"
    r = await world.member.slash(world.general, "brief", topic="한일")
    assert r.response.embeds[0].title.startswith("Japan–South Korea")
