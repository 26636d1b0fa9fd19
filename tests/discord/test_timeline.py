"""/timeline: date order, from/to bounds, and pages that only the caller can turn."""

from __future__ import annotations

import re

import pytest
import simcord

from bot.core import lookup
from bot.domain.errors import InvalidInput, UnknownTopic
from tests.core.test_chart import png_size
from tests.discord._support import assert_within_limits, bulk_add, refusals, refused
from tests.discord.conftest import text_of


def dates_in(text: str) -> list[str]:
    return re.findall(r"`#(\d+)`", text)


async def test_timeline_is_in_date_order(world) -> None:
    r = await world.member.slash(world.general, "timeline", topic="japan-korea")
    assert not r.ephemeral
    embed = r.response.embeds[0]
    assert embed.title == "Timeline — Japan–South Korea"
    lines = [line for line in embed.description.splitlines() if line.startswith("**")]
    assert lines[0].startswith("**2023** · Deepening US–China rivalry")  # year precision first
    assert lines[-1].startswith("**14 Apr 2023** · 13th Trilateral Defense Talks")
    assert embed.footer.text == "10 developments"
    assert not r.response.components  # one page, no pager


async def test_from_and_to_bound_the_timeline(world) -> None:
    r = await world.member.slash(
        world.general, "timeline", topic="japan-korea", **{"from": "2023-03-16", "to": "2023-03"}
    )
    text = text_of(r)
    assert "16 Mar 2023" in text and "19 Mar 2023" in text
    assert "15 Mar 2023" not in text and "Apr 2023" not in text


async def test_empty_range_says_so(world) -> None:
    r = await world.member.slash(world.general, "timeline", topic="russia", **{"from": "2025"})
    assert "Nothing recorded for Russia" in text_of(r)


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"topic": "japan-korea", "from": "March 2023"}, InvalidInput, "**from**"),
        ({"topic": "japan-korea", "from": "2024", "to": "2023"}, InvalidInput, "must not be after"),
        ({"topic": "japan-koria"}, UnknownTopic, "Did you mean japan-korea"),
    ],
)
async def test_bad_options_are_refused(world, options, error, words) -> None:
    r = await world.member.slash(world.general, "timeline", **options)
    assert words in refused(r)
    assert [type(e) for e in refusals(world.env)] == [error]
    assert world.general.history() == []


async def test_topic_autocomplete(world) -> None:
    choices = await world.member.autocomplete(world.general, "timeline", "topic", "japan")
    values = [c["value"] for c in choices]
    assert values[0] == "japan-korea"  # the slug that starts with it first
    assert set(values) == {"japan-korea", "trilateral", "us-japan"}


async def test_200_developments_page_and_only_the_caller_turns_pages(world) -> None:
    await bulk_add(world.env, 200)
    r = await world.member.slash(world.general, "timeline", topic="japan-korea")
    first = r.response
    assert_within_limits(first)
    footer = first.embeds[0].footer.text
    match = re.search(r"page 1/(\d+)", footer)
    assert match and int(match[1]) >= 2, footer
    pages = int(match[1])
    assert footer.startswith("210 developments")
    assert "Bulk development number 000" in first.embeds[0].description

    # Someone else pressing is told so, privately, and the page does not move.
    other = await world.mod.click(first, label="Next ▶")
    assert other.ephemeral and "Only the person who ran the command" in other.response.content
    assert world.general.last_message.embeds[0].footer.text == footer

    seen = [first.embeds[0].description]
    message = first
    for number in range(2, pages + 1):
        turned = await world.member.click(message, label="Next ▶")
        message = turned.response
        assert_within_limits(message)
        assert f"page {number}/{pages}" in message.embeds[0].footer.text
        seen.append(message.embeds[0].description)
    everything = "\n".join(seen)
    ids = dates_in(everything)
    assert len(ids) == 210 and len(set(ids)) == 210  # every development once, none lost
    assert "Bulk development number 199" in everything and seen[-1].endswith("`#8`")

    # Last page: Next is disabled; Previous goes back.
    with pytest.raises(simcord.SetupError, match="disabled"):
        await world.member.click(message, label="Next ▶")
    back = await world.member.click(message, label="◀ Previous")
    assert f"page {pages - 1}/{pages}" in back.response.embeds[0].footer.text

    # After the timeout, the buttons are disabled for everyone.
    await world.env.advance_time(301)
    last = world.general.last_message
    assert all(c.disabled for row in last.components for c in row.children)
    with pytest.raises(simcord.SetupError, match="disabled"):
        await world.member.click(last, label="◀ Previous")


async def test_a_timeline_longer_than_shown_says_more_than_without_counting(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "TIMELINE_MAX", 30)
    await bulk_add(world.env, 40)
    r = await world.member.slash(world.general, "timeline", topic="japan-korea", chart=True)
    footer = r.response.embeds[0].footer.text
    assert footer.startswith("More than 30 developments, the first 30 shown — narrow with from/to")
    assert len(dates_in("\n".join(e.description for e in r.response.embeds))) <= 30
    (posted,) = [m for m in r.followups if m.attachments]
    assert png_size(await posted.attachments[0].read()) == (1000, 460)


async def test_chart_attaches_a_png_of_the_timeline(world) -> None:
    r = await world.member.slash(world.general, "timeline", topic="japan-korea", chart=True)
    assert r.response.embeds[0].title == "Timeline — Japan–South Korea"
    (posted,) = [m for m in r.followups if m.attachments]
    (attachment,) = posted.attachments
    assert attachment.filename == "timeline-japan-korea.png"
    data = await attachment.read()
    assert png_size(data) == (1000, 460) and attachment.size == len(data)
    assert not posted.ephemeral


async def test_without_chart_nothing_is_attached(world) -> None:
    r = await world.member.slash(world.general, "timeline", topic="japan-korea")
    assert not r.response.attachments and not any(m.attachments for m in r.followups)
