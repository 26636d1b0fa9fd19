"""What must hold for every answer: nothing pings, user text cannot break the layout,
Discord's size limits are never exceeded, unexpected errors become a short apology with an
error id, and a slow database never makes the bot miss Discord's 3-second window."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any

import pytest
import simcord

from bot.core.actors import OPERATOR
from bot.core.catalogue import Catalogue
from bot.core.validation import validate_development
from storage.sqlite.database import Database
from tests.discord._support import (
    BOTTOM_LINE,
    TREND,
    WATCH,
    add_development,
    assert_no_pings,
    assert_within_limits,
    bulk_add,
    choice_form,
    count,
    dev_form,
    edit_development,
    modal_values,
    prefilled,
    refusals,
    refused,
    second_step,
    snapshot,
)
from tests.discord.conftest import modal_id, text_of

HOSTILE = "@everyone <@&1> **x** `"


def stored(env: Any, message: Any) -> Any:
    """SimCord's own record of a message: who it actually pinged."""
    return env.backend.get_message(message.channel.id, message.id)


def assert_pinged_nobody(env, message) -> None:
    s = stored(env, message)
    assert s.ping_user_ids == [] and s.ping_role_ids == [] and not s.mention_everyone


def unescaped(text: str, char: str) -> int:
    """How many times `char` occurs without a backslash before it."""
    return len(re.findall(r"(?<!\\)" + re.escape(char), text))


# --- mentions and markdown -------------------------------------------------------------


async def test_hostile_title_pings_nobody_and_keeps_the_layout(world) -> None:
    pingable = world.alpha.create_role("Everyone-ish", mentionable=True)
    title = f"{HOSTILE} <@&{pingable.id}> <@{world.member.id}> @here"
    done, dev_id = await add_development(world.mod, world.general, title=title)
    assert_pinged_nobody(world.env, done.response.message)

    answers = {
        "brief": await world.member.slash(world.general, "brief", topic="japan-korea"),
        "timeline": await world.member.slash(world.general, "timeline", topic="japan-korea"),
        "search": await world.member.slash(world.general, "search", query="everyone"),
        "show": await world.member.slash(world.general, "development show", id=str(dev_id)),
        "history": await world.mod.slash(world.general, "development history", id=str(dev_id)),
    }
    for name, r in answers.items():
        assert_pinged_nobody(world.env, r.response.message)
        text = text_of(r)
        assert "@everyone" not in text and "@here" not in text, name
        for mention in (f"<@&{pingable.id}>", f"<@{world.member.id}>", "<@&1>"):
            assert mention not in text, (name, mention)
        assert "\\*\\*x\\*\\*" in text and " **x** " not in text, name
        for line in text.splitlines():
            assert unescaped(line, "`") % 2 == 0, (name, line)  # code spans still close
            assert unescaped(line, "**") % 2 == 0, (name, line)  # bold still closes
        if name in ("brief", "timeline"):
            # The line still ends with the development's id in its code span.
            (line,) = [ln for ln in text.splitlines() if "\\*\\*x\\*\\*" in ln]
            assert re.search(rf"\\` [^`]*`#{dev_id}` \*\(this server\)\*( \[\d+\])?$", line), line
    # SimCord would have counted the pings; the bot has Mention Everyone, so only
    # allowed_mentions stands between this title and a ping.
    assert world.alpha.me.guild_permissions.mention_everyone
    assert_no_pings(world.env)


async def test_nothing_the_bot_sends_allows_mentions(world) -> None:
    curators = world.alpha.create_role("Curators", mentionable=True)
    await world.mod.slash(world.general, "settings", **{"moderator-role": curators})
    await world.mod.slash(world.general, "settings", timezone="Nowhere/Land")
    _, dev_id = await add_development(world.mod, world.general, title="<@&1> @everyone")
    shown = await world.mod.slash(world.general, "development add")
    failed = await world.mod.submit_modal(shown, dev_form(shown, date="soon"))
    await world.mod.click(failed.response, label="Fix and resubmit")
    await edit_development(world.mod, world.general, dev_id, {"Title": "@here again"})
    form = await world.mod.slash(world.general, "assessment set", topic="japan-korea")
    await world.mod.submit_modal(
        form,
        {
            modal_id(form, BOTTOM_LINE): "@everyone look",
            modal_id(form, TREND): ["improving"],
            modal_id(form, WATCH): "<@&1>",
        },
    )
    await bulk_add(world.env, 60)
    pages = await world.member.slash(world.general, "timeline", topic="japan-korea")
    await world.member.click(pages.response, label="Next ▶")
    await world.mod.click(pages.response, label="◀ Previous")
    for command, options in (
        ("brief", {"topic": "japan-korea"}),
        ("search", {"query": "everyone"}),
        ("development show", {"id": str(dev_id)}),
        ("development history", {"id": str(dev_id)}),
        ("development retract", {"id": str(dev_id), "reason": "@everyone <@&1>"}),
        ("development show", {"id": "999"}),
        ("about", {}),
    ):
        await world.mod.slash(world.general, command, **options)
    await world.member.slash(world.general, "development retract", id="2", reason="no")
    refusals(world.env)

    checked = assert_no_pings(world.env)
    assert checked >= 15
    for message in world.general.history():
        assert_pinged_nobody(world.env, message)


# --- limits -----------------------------------------------------------------------------


async def test_a_1000_character_summary_and_ten_sources_fit(world) -> None:
    """Through the form: a full summary of characters that escaping doubles, and ten
    sources filling the sources box."""
    summary = ("**_~`|> <@&1> " * 80)[:1000]
    assert len(summary) == 1000
    sources = "\n".join(
        f"https://example.com/{'p' * 180}/{i} | Publisher {i} | {'*_' * 80} {i} | 2026-11-0{i % 9 + 1}"
        for i in range(10)
    )
    assert len(sources) <= 4000
    done, dev_id = await add_development(
        world.mod, world.general, title="*" * 150, summary=summary, sources=sources
    )
    assert_within_limits(done.response)
    footer = done.response.embeds[0].footer.text
    assert "page 1/" in footer  # the card did not fit one embed …
    assert done.response.components  # … and the rest is a button away, not dropped

    show = await world.member.slash(world.general, "development show", id=str(dev_id))
    messages = [show.response]
    text = text_of(show)
    if show.response.components:  # split into pages: read them all
        while True:
            try:
                turned = await world.member.click(messages[-1], label="Next ▶")
            except simcord.SetupError:
                break
            messages.append(turned.response)
            text += "\n" + text_of(turned)
    for m in messages:
        assert_within_limits(m)
    assert all(f"Publisher {i}" in text for i in range(10))  # every source, none dropped
    assert text.count("\\*\\*\\_\\~\\`\\|\\>") >= 70  # the summary, escaped, in full

    for command, options in (
        ("brief", {"topic": "japan-korea"}),
        ("timeline", {"topic": "japan-korea"}),
        ("search", {"query": "publisher"}),
    ):
        r = await world.member.slash(world.general, command, **options)
        assert_within_limits(r.response)


async def test_the_largest_development_the_catalogue_allows_fits_everywhere(world) -> None:
    """Through the service (as an import would): ten sources with 500-character links,
    300-character titles and 120-character publishers, all of them markdown."""
    raw = {
        "title": "_" * 150,
        "summary": "|" * 1000,
        "date": "2026-11-01",
        "countries": "US JP KR",
        "domain": "security",
        "tags": " ".join(f"tag-{i}" for i in range(10)),
        "why_it_matters": "`" * 300,
        "sources": [
            {
                "url": "https://example.com/" + "x" * 480,
                "title": "*" * 300,
                "publisher": "~" * 120,
                "published_on": "2026-11-01",
            }
            for _ in range(10)
        ],
    }
    svc: Catalogue = world.env.bot.services.catalogue
    dev = await svc.add(OPERATOR, validate_development({**raw, "importance": "3"}))
    for _ in range(3):  # and a few like it in the same topic
        await svc.add(OPERATOR, validate_development(raw))
    for who, command, options in (
        (world.member, "development show", {"id": str(dev.id)}),
        (world.member, "brief", {"topic": "trilateral"}),
        (world.member, "timeline", {"topic": "trilateral"}),
        (world.member, "search", {"query": "tag-3"}),
        (world.editor, "development history", {"id": str(dev.id)}),
    ):
        r = await who.slash(world.general, command, **options)
        assert r.response is not None, command
        assert_within_limits(r.response)
        if "page 1/" in r.response.embeds[0].footer.text:
            last = int(r.response.embeds[0].footer.text.rsplit("/", 1)[1])
            message = r.response
            for _ in range(last - 1):
                message = (await who.click(message, label="Next ▶")).response
                assert_within_limits(message)


async def test_200_developments_in_a_topic_page_within_limits(world) -> None:
    await bulk_add(world.env, 200, title="`@everyone` " + "*" * 130)
    for command, options in (
        ("brief", {"topic": "japan-korea"}),
        ("timeline", {"topic": "japan-korea"}),
        ("search", {"query": "bulk"}),
    ):
        r = await world.member.slash(world.general, command, **options)
        assert r.response is not None, command
        assert_within_limits(r.response)
    brief = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert brief.response.embeds[0].footer.text.startswith("210 developments")
    diplomacy = await world.member.slash(
        world.general, "brief", topic="japan-korea", domain="diplomacy"
    )
    assert diplomacy.response.embeds[0].footer.text.startswith("203 developments")
    timeline = await world.member.slash(world.general, "timeline", topic="japan-korea")
    footer = timeline.response.embeds[0].footer.text
    assert footer.startswith("210 developments") and "page 1/" in footer
    assert_no_pings(world.env)


# --- unexpected errors ------------------------------------------------------------------


async def test_unexpected_error_is_an_apology_with_an_id_and_a_logged_traceback(
    world, monkeypatch, caplog
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("boom: the brief exploded")

    # The module the running bot loaded (each bot loads its extensions afresh).
    monkeypatch.setattr(sys.modules["bot.discord.exts.brief"], "compose_brief", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord.exts"):
        r = await world.member.slash(world.general, "brief", topic="japan-korea")
    text = refused(r)
    match = re.search(r"error id: `([0-9a-f]{8})`", text)
    assert match, text
    assert text.startswith("Sorry, something went wrong") and len(text) < 300
    assert "boom" not in text and "Traceback" not in text
    (record,) = [rec for rec in caplog.records if f"error_id={match[1]}" in rec.getMessage()]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    assert "command=brief" in record.getMessage()
    assert world.general.history() == []  # the public placeholder is gone
    simcord.assert_error(world.env, RuntimeError, contains="boom")


async def test_unexpected_error_in_a_form_changes_nothing(
    world, db_path, monkeypatch, caplog
) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    before = snapshot(db_path)
    monkeypatch.setattr(Catalogue, "add", broken)
    shown = await world.mod.slash(world.general, "development add")
    step_two = await second_step(world.mod, await world.mod.submit_modal(shown, dev_form(shown)))
    with caplog.at_level(logging.ERROR, logger="bot.discord.exts"):
        done = await world.mod.submit_modal(step_two, choice_form(step_two))
    text = refused(done)
    error_id = re.search(r"`([0-9a-f]{8})`", text)
    assert error_id and any(f"error_id={error_id[1]}" in r.getMessage() for r in caplog.records)
    assert snapshot(db_path) == before
    simcord.assert_error(world.env, RuntimeError, contains="disk on fire")


# --- a slow database --------------------------------------------------------------------

DELAY = 3.5  # longer than Discord's 3 s


@pytest.fixture
def slow_db(monkeypatch):
    """Arm it, and the next read of the real database first waits DELAY seconds."""
    armed = {"next": False}

    def slowed(original: Any) -> Any:
        async def read(self, *args, **kwargs):
            if armed["next"]:
                armed["next"] = False
                await asyncio.sleep(DELAY)
            return await original(self, *args, **kwargs)

        return read

    monkeypatch.setattr(Database, "fetchall", slowed(Database.fetchall))
    monkeypatch.setattr(Database, "fetchone", slowed(Database.fetchone))
    monkeypatch.setattr(Database, "run_reads", slowed(Database.run_reads))  # a brief's reads
    return armed


async def test_slow_database_brief_is_deferred_in_time(world, slow_db) -> None:
    slow_db["next"] = True
    r = await world.member.slash(world.general, "brief", topic="trilateral")
    assert not slow_db["next"]  # the delay happened
    assert r.acknowledged and not r.ephemeral
    assert r.response.embeds[0].title == "US–Japan–South Korea — 📈 improving"
    assert world.env.errors == []


async def test_slow_database_form_opens_from_a_button(world, db_path, slow_db) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    slow_db["next"] = True
    r = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    assert not slow_db["next"]
    assert r.modal is None and r.ephemeral
    assert "press the button to open it" in r.response.content
    assert world.env.errors == []
    shown = await world.mod.click(r.response, label="Open the form")
    assert modal_values(shown)["Title"] == "Seoul and Tokyo sign a supply-chain pact"
    typed = {**prefilled(shown), modal_id(shown, "Title"): "Renamed"}
    step_two = await second_step(world.mod, await world.mod.submit_modal(shown, typed))
    done = await world.mod.submit_modal(step_two, prefilled(step_two))
    assert "changed title" in done.response.content
    assert count(db_path, "revisions") > count(db_path, "developments")


async def test_slow_database_refusal_still_arrives(world, db_path, slow_db) -> None:
    """A member's rights need a read (the moderator role); slow, the refusal still comes."""
    before = snapshot(db_path)
    slow_db["next"] = True
    r = await world.member.slash(world.general, "development add")
    assert not slow_db["next"]
    assert r.modal is None and "Only moderators" in refused(r)
    assert len(refusals(world.env)) == 1
    assert snapshot(db_path) == before


async def test_slow_database_autocomplete_answers_empty_rather_than_late(world, slow_db) -> None:
    slow_db["next"] = True
    assert await world.member.autocomplete(world.general, "development show", "id", "2") == []
    (answer,) = [
        e.json
        for e in world.env.http_requests
        if e.path.endswith("/callback") and isinstance(e.json, dict) and e.json.get("type") == 8
    ]
    assert answer["data"]["choices"] == []  # answered in time, with nothing, not late
    assert world.env.errors == []
    choices = await world.member.autocomplete(world.general, "development show", "id", "2")
    assert choices and choices[0]["value"] == "2"


async def test_refusals_that_echo_user_input_escape_it(world) -> None:
    r = await world.member.slash(world.general, "brief", topic="@everyone **x** <@&1>")
    text = refused(r)
    assert "There is no topic called" in text
    assert "@everyone" not in text and "<@&1>" not in text and "**x**" not in text
    r = await world.mod.slash(world.general, "settings", timezone="@here `Mars`")
    text = refused(r)
    assert "@here" not in text and unescaped(text, "`") == 0
    refusals(world.env)
    assert_no_pings(world.env)
