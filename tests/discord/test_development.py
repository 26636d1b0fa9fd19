"""/development show|add|edit|retract|history: the right role succeeds, the wrong one is
refused ephemerally and nothing changes; forms validate and can be fixed and resubmitted."""

from __future__ import annotations

from typing import Any

import pytest
import simcord

from bot.domain.errors import InvalidInput, NotFound, PermissionDenied
from bot.domain.models import Source
from bot.domain.scope import Scope
from tests.discord._support import (
    COUNTRIES,
    DATE,
    DOMAIN,
    IMPORTANCE,
    KIND,
    NEXT,
    SOURCES,
    SUMMARY,
    TAGS,
    TITLE,
    WHY,
    add_development,
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
from tests.discord.conftest import World, modal_id, text_of

SUMMIT = 2  # the starter dataset's Yoon–Kishida summit (global)


# --- show ----------------------------------------------------------------------------------


async def test_show_as_member_gives_the_whole_development(world) -> None:
    r = await world.member.slash(world.general, "development show", id=str(SUMMIT))
    assert not r.ephemeral
    text = text_of(r)
    assert "#2 · Yoon Suk-yeol and Fumio Kishida hold a summit in Tokyo" in text
    assert "**Sources**" in text
    assert "Global catalogue · 1 revision" in text
    assert "**Countries** JP KR" in text


async def test_show_accepts_a_hash_before_the_id(world) -> None:
    r = await world.member.slash(world.general, "development show", id="#2")
    assert "Yoon Suk-yeol" in text_of(r)


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [("999", NotFound, "There is no development #999"), ("abc", InvalidInput, "**id**")],
)
async def test_show_refuses_unknown_and_malformed_ids(world, value, error, words) -> None:
    r = await world.member.slash(world.general, "development show", id=value)
    assert words in refused(r)
    assert [type(e) for e in refusals(world.env)] == [error]
    assert world.general.history() == []  # no public trace


async def test_id_autocomplete_by_words_and_by_digits(world) -> None:
    by_words = await world.member.autocomplete(world.general, "development show", "id", "summit")
    assert {
        "name": "#2 · Yoon Suk-yeol and Fumio Kishida hold a summit in Tokyo",
        "value": "2",
    } in (by_words)
    by_digits = await world.member.autocomplete(world.general, "development show", "id", "1")
    assert [c["value"] for c in by_digits] == ["1", "12", "11", "10"]
    everything = await world.member.autocomplete(world.general, "development edit", "id", "")
    assert 0 < len(everything) <= 25


# --- add -----------------------------------------------------------------------------------


async def test_moderator_adds_a_server_development(world, db_path) -> None:
    before = count(db_path, "developments")
    done, dev_id = await add_development(world.mod, world.general)
    assert done.ephemeral
    assert "#" + str(dev_id) in done.response.content
    assert "This server's development · 1 revision" in done.response.embeds[0].footer.text
    assert count(db_path, "developments") == before + 1
    shown = await world.member.slash(world.general, "development show", id=str(dev_id))
    assert "Seoul and Tokyo sign a supply-chain pact" in text_of(shown)
    assert "Example Wire" in text_of(shown)


async def test_editor_adds_to_the_global_catalogue(world) -> None:
    _, dev_id = await add_development(world.editor, world.general)
    r = await world.beta_mod.slash(world.beta_general, "development show", id=str(dev_id))
    assert "Global catalogue" in text_of(r)


async def test_member_cannot_add_and_nothing_changes(world, db_path) -> None:
    before = snapshot(db_path)
    r = await world.member.slash(world.general, "development add")
    assert r.modal is None and r.ephemeral
    assert "Only moderators" in r.response.content
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied]
    assert snapshot(db_path) == before


async def test_moderator_cannot_add_to_the_global_catalogue(world, db_path) -> None:
    before = snapshot(db_path)
    r = await world.mod.slash(world.general, "development add", scope="global")
    assert r.modal is None and r.ephemeral and "Only editors" in r.response.content
    refusals(world.env)
    assert snapshot(db_path) == before


async def test_the_selects_reach_the_development(world) -> None:
    shown = await world.mod.slash(world.general, "development add")
    assert [c["type"] for c in shown.modal["components"]] == [18] * 5  # labelled controls
    first = await world.mod.submit_modal(shown, dev_form(shown, why="Trade is back."))
    step_two = await second_step(world.mod, first)
    assert [c["component"]["type"] for c in step_two.modal["components"]] == [3, 3, 3, 3, 4]
    assert modal_values(step_two)[KIND] == ["event"] and modal_values(step_two)[IMPORTANCE] == ["2"]
    assert modal_values(step_two)[COUNTRIES] == []  # nothing chosen for a new development
    choices = choice_form(
        step_two, countries=("US", "JP", "KR"), domain="security", kind="indicator", importance="3"
    )
    done = await world.mod.submit_modal(step_two, choices)
    dev_id = done.response.content.split("**#")[1].split("**")[0]
    text = text_of(await world.member.slash(world.general, "development show", id=dev_id))
    assert "**Kind** indicator" in text and "**Importance** 3/3" in text
    assert "**Countries** JP KR US" in text and "security" in text
    assert "**Why it matters:** Trade is back." in text


async def test_a_source_line_as_people_write_it_is_accepted(world) -> None:
    _, dev_id = await add_development(
        world.mod, world.general, sources="https://example.org/story Yonhap"
    )
    text = text_of(await world.member.slash(world.general, "development show", id=str(dev_id)))
    assert "Yonhap" in text and "example.org/story" in text


async def test_invalid_form_names_the_field_and_retry_reopens_it_prefilled(world, db_path) -> None:
    before = count(db_path, "developments")
    shown = await world.mod.slash(world.general, "development add")
    typed = dev_form(shown, date="16/03/2023", summary="Typed with care.\nTwo lines.")
    failed = await world.mod.submit_modal(shown, typed)
    assert failed.ephemeral
    assert failed.response.content.startswith("**date**: must be YYYY-MM-DD, YYYY-MM or YYYY")
    assert count(db_path, "developments") == before

    again = await world.mod.click(failed.response, label="Fix and resubmit")
    assert again.modal is not None
    values = modal_values(again)
    assert values[DATE] == "16/03/2023"
    assert values[SUMMARY] == "Typed with care.\nTwo lines."
    assert values[TITLE] == "Seoul and Tokyo sign a supply-chain pact"

    fixed = {**typed, modal_id(again, DATE): "2023-03-16"}
    step_two = await second_step(world.mod, await world.mod.submit_modal(again, fixed))
    done = await world.mod.submit_modal(step_two, choice_form(step_two))
    assert "Added development" in done.response.content
    assert count(db_path, "developments") == before + 1


async def test_second_step_errors_reopen_the_selects_as_chosen(world, db_path) -> None:
    before = count(db_path, "developments")
    shown = await world.mod.slash(world.general, "development add")
    step_two = await second_step(world.mod, await world.mod.submit_modal(shown, dev_form(shown)))
    chosen = choice_form(step_two, countries=("CN", "KP"), domain="security", tags="Bad Tag!")
    failed = await world.mod.submit_modal(step_two, chosen)
    assert failed.response.content.startswith("**tags**:")
    assert count(db_path, "developments") == before
    again = await world.mod.click(failed.response, label="Fix and resubmit")
    values = modal_values(again)
    assert values[COUNTRIES] == ["KP", "CN"] or sorted(values[COUNTRIES]) == ["CN", "KP"]
    assert values[DOMAIN] == ["security"] and values[TAGS] == "Bad Tag!"
    done = await world.mod.submit_modal(again, {**prefilled(again), modal_id(again, TAGS): "ok"})
    assert "Added development" in done.response.content
    assert count(db_path, "developments") == before + 1


async def test_pressing_next_again_after_saving_adds_no_twin(world, db_path) -> None:
    shown = await world.mod.slash(world.general, "development add")
    first = await world.mod.submit_modal(shown, dev_form(shown))
    step_two = await second_step(world.mod, first)
    await world.mod.submit_modal(step_two, choice_form(step_two))
    before = count(db_path, "developments")
    twin = await world.mod.click(first.response, label=NEXT)
    again = await world.mod.submit_modal(twin, choice_form(twin))
    assert again.ephemeral and "already saved" in again.response.content
    refusals(world.env)
    assert count(db_path, "developments") == before


@pytest.mark.parametrize(
    ("label", "value", "field"),
    [
        (SOURCES, "ftp://example.com/x", "source 1 url"),
        (SOURCES, "\n".join(f"Citation {i}" for i in range(11)), "sources"),
        (DATE, "2023-02-30", "date"),
    ],
)
async def test_form_rules_are_named(world, label, value, field) -> None:
    shown = await world.mod.slash(world.general, "development add")
    failed = await world.mod.submit_modal(shown, {**dev_form(shown), modal_id(shown, label): value})
    assert failed.ephemeral and failed.response.content.replace("\\", "").startswith(
        f"**{field}**:"
    )
    assert failed.response.components  # the retry button


# --- edit ----------------------------------------------------------------------------------


async def test_edit_is_prefilled_keeps_a_revision_and_history_shows_it(world, db_path) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    shown = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    values = modal_values(shown)
    assert values[TITLE] == "Seoul and Tokyo sign a supply-chain pact"
    assert values[DATE] == "2026-11-20"
    assert values[SOURCES].startswith("https://example.com/report | Example Wire")

    typed = {**prefilled(shown), modal_id(shown, TITLE): "Seoul and Tokyo sign a minerals pact"}
    step_two = await second_step(world.mod, await world.mod.submit_modal(shown, typed))
    choices = modal_values(step_two)
    assert choices[COUNTRIES] == ["JP", "KR"] and choices[DOMAIN] == ["economy"]
    assert choices[KIND] == ["event"] and choices[IMPORTANCE] == ["2"]
    assert choices[TAGS] == "supply-chain"
    done = await world.mod.submit_modal(step_two, prefilled(step_two))
    assert done.ephemeral and f"Edited **#{dev_id}**: changed title" in done.response.content
    assert count(db_path, "revisions") - count(db_path, "developments") == 1

    shown_again = await world.member.slash(world.general, "development show", id=str(dev_id))
    assert "minerals pact" in text_of(shown_again) and "2 revisions" in text_of(shown_again)

    history = await world.mod.slash(world.general, "development history", id=str(dev_id))
    assert history.ephemeral
    text = text_of(history)
    assert "**1. create**" in text and "**2. edit**" in text
    assert (
        "title: Seoul and Tokyo sign a supply-chain pact → Seoul and Tokyo sign a minerals pact"
        in (text)
    )
    assert "mod (" in text  # who


async def test_edit_through_the_selects_changes_only_what_was_chosen(world, db_path) -> None:
    _, dev_id = await add_development(world.mod, world.general, why="Supply chains.")
    shown = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    step_two = await second_step(world.mod, await world.mod.submit_modal(shown, prefilled(shown)))
    chosen = {**prefilled(step_two), modal_id(step_two, IMPORTANCE): ["3"]}
    chosen[modal_id(step_two, COUNTRIES)] = ["JP", "KR", "US"]
    done = await world.mod.submit_modal(step_two, chosen)
    assert "changed countries, importance" in done.response.content
    text = text_of(await world.member.slash(world.general, "development show", id=str(dev_id)))
    assert "**Why it matters:** Supply chains." in text and "Example Wire" in text
    assert "**Kind** event" in text and "supply-chain" in text


async def test_edit_can_save_after_step_one_keeping_every_choice(world, db_path) -> None:
    _, dev_id = await add_development(
        world.mod, world.general, choices={"kind": "analysis", "importance": "1"}
    )
    shown = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    typed = {**prefilled(shown), modal_id(shown, SUMMARY): "A new summary."}
    first = await world.mod.submit_modal(shown, typed)
    done = await world.mod.click(first.response, label="Save, keeping those")
    assert "changed summary" in done.response.content
    text = text_of(await world.member.slash(world.general, "development show", id=str(dev_id)))
    assert "**Kind** analysis" in text and "**Importance** 1/3" in text
    assert "**Countries** JP KR" in text


async def test_edit_without_changes_records_no_revision(world, db_path) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    shown = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    before = count(db_path, "revisions")
    step_two = await second_step(world.mod, await world.mod.submit_modal(shown, prefilled(shown)))
    done = await world.mod.submit_modal(step_two, prefilled(step_two))
    assert "nothing — no revision recorded" in done.response.content
    assert count(db_path, "revisions") == before


async def test_edit_refusals_change_nothing(world, db_path) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    before = snapshot(db_path)
    as_member = await world.member.slash(world.general, "development edit", id=str(dev_id))
    as_mod_global = await world.mod.slash(world.general, "development edit", id=str(SUMMIT))
    for r in (as_member, as_mod_global):
        assert r.modal is None and r.ephemeral
    assert "Only this server's moderators" in as_member.response.content
    assert "Only editors" in as_mod_global.response.content
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied, PermissionDenied]
    assert snapshot(db_path) == before


async def test_editor_edits_the_global_catalogue(world) -> None:
    shown = await world.editor.slash(world.general, "development edit", id=str(SUMMIT))
    values = prefilled(shown)
    values[modal_id(shown, SUMMARY)] += " Updated."
    assert values[modal_id(shown, WHY)]  # the starter's why-it-matters is prefilled
    first = await world.editor.submit_modal(shown, values)
    step_two = await second_step(world.editor, first)
    done = await world.editor.submit_modal(step_two, prefilled(step_two))
    assert "changed summary" in done.response.content
    assert "why" not in done.response.content.split("changed")[1]


# --- retract -------------------------------------------------------------------------------


async def test_retract_hides_from_brief_and_search_and_keeps_history(world) -> None:
    _, dev_id = await add_development(world.mod, world.general, title="Uniquely named accord")
    brief = await world.member.slash(world.general, "brief", topic="japan-korea")
    found = await world.member.slash(world.general, "search", query="uniquely")
    assert "Uniquely named accord" in text_of(brief) and f"#{dev_id}" in text_of(found)

    r = await world.mod.slash(
        world.general, "development retract", id=str(dev_id), reason="Duplicate entry"
    )
    assert r.ephemeral and f"Retracted **#{dev_id}**" in r.response.content

    brief = await world.member.slash(world.general, "brief", topic="japan-korea")
    found = await world.member.slash(world.general, "search", query="uniquely")
    assert "Uniquely named accord" not in text_of(brief)
    assert "No match" in text_of(found)
    shown = await world.member.slash(world.general, "development show", id=str(dev_id))
    assert "**Retracted:** Duplicate entry" in text_of(shown)
    history = await world.mod.slash(world.general, "development history", id=str(dev_id))
    assert "**2. retract**" in text_of(history)

    twice = await world.mod.slash(world.general, "development retract", id=str(dev_id), reason="x")
    assert twice.ephemeral and "already retracted" in twice.response.content
    refusals(world.env)


async def test_retract_refusals_change_nothing(world, db_path) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    before = snapshot(db_path)
    as_member = await world.member.slash(
        world.general, "development retract", id=str(dev_id), reason="no"
    )
    global_as_mod = await world.mod.slash(
        world.general, "development retract", id=str(SUMMIT), reason="no"
    )
    for r in (as_member, global_as_mod):
        assert r.ephemeral and "Only" in r.response.content
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied, PermissionDenied]
    assert snapshot(db_path) == before
    assert world.general.history() == []


async def test_editor_retracts_a_global_development(world) -> None:
    r = await world.editor.slash(
        world.general, "development retract", id=str(SUMMIT), reason="Test"
    )
    assert "Retracted **#2**" in r.response.content


# --- history -------------------------------------------------------------------------------


async def test_history_is_for_moderators_and_editors(world, db_path) -> None:
    before = snapshot(db_path)
    r = await world.member.slash(world.general, "development history", id=str(SUMMIT))
    assert r.ephemeral and "Only moderators and editors" in r.response.content
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied]
    assert snapshot(db_path) == before
    for who in (world.mod, world.editor):
        ok = await who.slash(world.general, "development history", id=str(SUMMIT))
        assert ok.ephemeral and "History of #2" in text_of(ok)


async def test_error_answer_does_not_leave_a_public_placeholder(world) -> None:
    """A refusal after a public deferral is ephemeral; the channel shows nothing."""
    r = await world.member.slash(world.general, "development show", id="424242")
    assert "There is no development #424242" in refused(r)
    assert world.general.history() == []
    simcord.assert_error(world.env, NotFound)


async def test_a_retracted_development_cannot_be_edited_and_says_so_before_the_form(
    world, db_path
) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    await world.mod.slash(world.general, "development retract", id=str(dev_id), reason="Dup")
    before = snapshot(db_path)
    r = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    assert r.modal is None
    assert "retracted developments are frozen" in refused(r)
    assert [type(e) for e in refusals(world.env)] == [InvalidInput]
    assert snapshot(db_path) == before


async def test_long_history_pages_privately(world) -> None:
    _, dev_id = await add_development(world.mod, world.general)
    for i in range(16):
        summary = f"Version {i}: " + "a longer summary " * 50
        await edit_development(world.mod, world.general, dev_id, {SUMMARY: summary})
    history = await world.mod.slash(world.general, "development history", id=str(dev_id))
    assert history.ephemeral
    footer = history.response.embeds[0].footer.text
    assert footer.startswith("17 revisions · page 1/")
    turned = await world.mod.click(history.response, label="Next ▶")
    assert "page 2/" in turned.response.embeds[0].footer.text
    assert turned.response.message.flags.ephemeral
    assert world.general.history() == []  # nothing of it is public


# --- edit: values refilled within Discord's limits ---------------------------------------


def _description(shown: Any, label: str) -> str:
    """The description under a modal control's label."""
    found = [n for n in shown.modal["components"] if n.get("label") == label]
    return str(found[0].get("description") or "")


async def _stored_sources(world: World, dev_id: int) -> tuple[Source, ...]:
    dev = await world.env.bot.services.catalogue.show(dev_id, Scope.discord(world.alpha.id))
    return tuple(dev.sources)


async def test_edit_opens_for_3999_characters_of_sources_and_keeps_every_source(
    world: World,
) -> None:
    # Ten bare links typed in 3,999 characters: prefilled as `link | host` each, they would
    # need 4,139 characters and Discord would refuse the form (50035).
    links = [f"https://example.com/{i}/" + "p" * 377 for i in range(10)]
    typed = "\n".join(links)
    assert len(typed) == 3999
    [dev_id] = await bulk_add(world.env, 1, guild_id=world.alpha.id, sources=typed)
    before = await _stored_sources(world, dev_id)

    shown = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    assert shown.modal is not None
    assert len(modal_values(shown)[SOURCES]) <= 4000
    assert "Sources 1–9 of 10; the other one is kept as it is" in _description(shown, SOURCES)
    done = await edit_development(world.mod, world.general, dev_id, {TITLE: "A new title"})
    assert "changed title" in done.response.content, done.response.content
    assert await _stored_sources(world, dev_id) == before


async def test_edit_opens_for_ten_maximal_sources_and_edits_the_shown_ones(world: World) -> None:
    sources = [
        {
            "url": f"https://example.com/{i}/" + "u" * (500 - 22),
            "publisher": f"Publisher {i} " + "p" * 107,
            "title": f"Title {i} " + "t" * 291,
            "published_on": "2023-01-02",
        }
        for i in range(10)
    ]
    [dev_id] = await bulk_add(world.env, 1, guild_id=world.alpha.id, sources=sources)
    before = await _stored_sources(world, dev_id)
    shown = await world.mod.slash(world.general, "development edit", id=str(dev_id))
    assert shown.modal is not None
    box = modal_values(shown)[SOURCES]
    assert len(box) <= 4000 and len(box.splitlines()) == 4
    assert "Sources 1–4 of 10; the other 6 are kept" in _description(shown, SOURCES)

    # Unchanged: nothing changes. The first shown source removed: only it goes.
    unchanged = await edit_development(world.mod, world.general, dev_id)
    assert "no revision recorded" in unchanged.response.content, unchanged.response.content
    assert await _stored_sources(world, dev_id) == before
    rest = "\n".join(box.splitlines()[1:])
    done = await edit_development(world.mod, world.general, dev_id, {SOURCES: rest})
    assert "changed sources" in done.response.content, done.response.content
    assert await _stored_sources(world, dev_id) == before[1:]
