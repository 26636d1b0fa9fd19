"""/assessment set: a form prefilled with the current assessment; the new bottom line leads
/brief at once; refusals and validation."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import PermissionDenied
from tests.discord._support import (
    BOTTOM_LINE,
    TREND,
    WATCH,
    count,
    modal_values,
    refusals,
    refused,
    snapshot,
)
from tests.discord.conftest import modal_id, text_of


def assessment_form(shown, bottom_line: str, trend: str, watch: str = "") -> dict[str, Any]:
    return {
        modal_id(shown, BOTTOM_LINE): bottom_line,
        modal_id(shown, TREND): [trend],
        modal_id(shown, WATCH): watch,
    }


async def test_moderator_sets_the_server_bottom_line(world, db_path) -> None:
    shown = await world.mod.slash(world.general, "assessment set", topic="us-japan")
    assert shown.modal["title"] == "Assessment: us-japan"
    assert shown.modal["components"][1]["component"]["type"] == 3  # the trend is a select
    assert modal_values(shown)[TREND] == ["unchanged"]  # no assessment yet: the default
    values = assessment_form(
        shown, "Ties are fraying over history again.", "deteriorating", "Court ruling\n- Summit"
    )
    done = await world.mod.submit_modal(shown, values)
    assert done.ephemeral
    assert "Assessment of **us-japan** set for this server: deteriorating" in (
        done.response.content
    )

    brief = await world.member.slash(world.general, "brief", topic="us-japan")
    embed = brief.response.embeds[0]
    assert embed.title == "US–Japan — 📉 deteriorating"
    lines = embed.description.splitlines()
    assert lines[0].startswith("**Bottom line**")
    assert "Ties are fraying over history again." in lines[1]
    assert "- Court ruling" in embed.description and "- Summit" in embed.description

    # Beta never sees Alpha's assessment.
    beta = await world.beta_mod.slash(world.beta_general, "brief", topic="us-japan")
    assert beta.response.embeds[0].title == "US–Japan — no assessment yet"


async def test_server_assessment_overrides_the_global_one_and_history_is_kept(
    world, db_path
) -> None:
    shown = await world.mod.slash(world.general, "assessment set", topic="trilateral")
    current = modal_values(shown)
    assert current[BOTTOM_LINE].startswith("US–China rivalry")  # prefilled: the starter one
    assert current[TREND] == ["improving"]
    before = count(db_path, "assessments")
    await world.mod.submit_modal(shown, assessment_form(shown, "Stalled for now.", "unchanged"))
    assert count(db_path, "assessments") == before + 1
    brief = await world.member.slash(world.general, "brief", topic="trilateral")
    assert "Stalled for now." in text_of(brief)
    assert "US–China rivalry and North Korea" not in text_of(brief)
    assert brief.response.embeds[0].title.endswith("➡️ unchanged")

    again = await world.mod.slash(world.general, "assessment set", topic="trilateral")
    assert modal_values(again)[BOTTOM_LINE] == "Stalled for now."


async def test_editor_sets_the_global_bottom_line(world) -> None:
    shown = await world.editor.slash(world.general, "assessment set", topic="north-korea")
    done = await world.editor.submit_modal(
        shown, assessment_form(shown, "Missile tests continue.", "deteriorating")
    )
    assert "set globally" in done.response.content
    beta = await world.beta_mod.slash(world.beta_general, "brief", topic="north-korea")
    assert "Missile tests continue." in text_of(beta)


async def test_member_is_refused_and_nothing_changes(world, db_path) -> None:
    before = snapshot(db_path)
    r = await world.member.slash(world.general, "assessment set", topic="trilateral")
    assert r.modal is None and "Only moderators" in refused(r)
    as_mod_global = await world.mod.slash(
        world.general, "assessment set", topic="trilateral", scope="global"
    )
    assert as_mod_global.modal is None and "Only editors" in refused(as_mod_global)
    assert [type(e) for e in refusals(world.env)] == [PermissionDenied, PermissionDenied]
    assert snapshot(db_path) == before


async def test_unknown_topic_is_refused(world) -> None:
    r = await world.mod.slash(world.general, "assessment set", topic="mars")
    assert "There is no topic called 'mars'" in refused(r)
    refusals(world.env)


async def test_too_many_watch_items_can_be_fixed_with_the_trend_kept(world, db_path) -> None:
    before = count(db_path, "assessments")
    shown = await world.mod.slash(world.general, "assessment set", topic="us-korea")
    six = "\n".join(f"item {i}" for i in range(6))
    failed = await world.mod.submit_modal(shown, assessment_form(shown, "Fine.", "improving", six))
    assert failed.ephemeral
    assert failed.response.content.startswith("**watch next**: at most 5 items")
    retry = await world.mod.click(failed.response, label="Fix and resubmit")
    assert modal_values(retry)[TREND] == ["improving"]
    assert modal_values(retry)[BOTTOM_LINE] == "Fine."
    assert count(db_path, "assessments") == before
    done = await world.mod.submit_modal(retry, assessment_form(retry, "Fine.", "improving", "x"))
    assert "set for this server: improving" in done.response.content
    assert count(db_path, "assessments") == before + 1
