"""Two servers never see or touch each other's developments; a restart keeps everything."""

from __future__ import annotations

from bot.domain.errors import NotFound
from tests.discord._support import (
    BOTTOM_LINE,
    TREND,
    WATCH,
    add_development,
    edit_development,
    refusals,
    refused,
    snapshot,
)
from tests.discord.conftest import make_bot, modal_id, text_of


async def test_servers_cannot_see_or_touch_each_others_developments(world, db_path) -> None:
    _, alpha_id = await add_development(world.mod, world.general, title="Alpha-only accord")
    _, beta_id = await add_development(world.beta_mod, world.beta_general, title="Beta-only accord")
    _, global_id = await add_development(world.editor, world.general, title="Shared accord")

    def sees(text: str) -> tuple[bool, bool, bool]:
        return ("Alpha-only" in text, "Beta-only" in text, "Shared accord" in text)

    for command, options in (
        ("brief", {"topic": "japan-korea"}),
        ("timeline", {"topic": "japan-korea"}),
        ("search", {"query": "accord"}),
    ):
        in_alpha = await world.member.slash(world.general, command, **options)
        in_beta = await world.beta_mod.slash(world.beta_general, command, **options)
        assert sees(text_of(in_alpha)) == (True, False, True), command
        assert sees(text_of(in_beta)) == (False, True, True), command

    words = await world.beta_mod.autocomplete(
        world.beta_general, "development show", "id", "accord"
    )
    offered = {c["value"] for c in words}
    assert {str(beta_id), str(global_id)} <= offered and str(alpha_id) not in offered
    digits = await world.beta_mod.autocomplete(
        world.beta_general, "development show", "id", str(alpha_id)
    )
    assert str(alpha_id) not in {c["value"] for c in digits}

    # Another server's development looks absent, for reading and for writing alike.
    before = snapshot(db_path)
    public = (len(world.general.history()), len(world.beta_general.history()))
    show = await world.beta_mod.slash(world.beta_general, "development show", id=str(alpha_id))
    assert f"There is no development #{alpha_id} here" in refused(show)
    edit = await world.beta_mod.slash(world.beta_general, "development edit", id=str(alpha_id))
    assert edit.modal is None and "There is no development" in refused(edit)
    retract = await world.beta_mod.slash(
        world.beta_general, "development retract", id=str(alpha_id), reason="not mine"
    )
    assert "There is no development" in refused(retract)
    history = await world.beta_mod.slash(
        world.beta_general, "development history", id=str(alpha_id)
    )
    assert "There is no development" in refused(history)
    back = await world.mod.slash(world.general, "development retract", id=str(beta_id), reason="x")
    assert "There is no development" in refused(back)
    assert [type(e) for e in refusals(world.env)] == [NotFound] * 5
    assert snapshot(db_path) == before
    assert (len(world.general.history()), len(world.beta_general.history())) == public


async def test_restart_keeps_developments_assessments_settings_and_roles(world, db_path) -> None:
    curators = world.alpha.create_role("Curators")
    await world.mod.slash(
        world.general, "settings", timezone="Asia/Tokyo", **{"moderator-role": curators}
    )
    _, dev_id = await add_development(world.mod, world.general, title="Survives restarts")
    await edit_development(world.mod, world.general, dev_id, {"Title": "Survives restarts, edited"})
    await world.mod.slash(world.general, "development retract", id="3", reason="Not ours")
    refusals(world.env)  # the retract of a global development is refused: mod is no editor
    form = await world.mod.slash(world.general, "assessment set", topic="japan-korea")
    await world.mod.submit_modal(
        form,
        {
            modal_id(form, BOTTOM_LINE): "Steady after the restart.",
            modal_id(form, TREND): ["improving"],
            modal_id(form, WATCH): "",
        },
    )
    before = snapshot(db_path)

    await world.env.restart_bot(make_bot(db_path))
    assert snapshot(db_path) == before  # starting again adds nothing (no second starter load)

    brief = await world.member.slash(world.general, "brief", topic="japan-korea")
    assert "Survives restarts, edited" in text_of(brief)
    assert "Steady after the restart." in text_of(brief)
    assert brief.response.embeds[0].title.endswith("📈 improving")
    show = await world.member.slash(world.general, "development show", id=str(dev_id))
    assert "2 revisions" in text_of(show)
    settings = await world.mod.slash(world.general, "settings")
    assert "Time zone: Asia/Tokyo" in settings.response.content
    assert f"<@&{curators.id}>" in settings.response.content

    # The moderator role still works, and Beta still sees none of it.
    world.env.backend.add_member_role(world.alpha.id, world.member.id, curators.id)
    await world.env.settle()
    history = await world.member.slash(world.general, "development history", id=str(dev_id))
    assert "**2. edit**" in text_of(history)
    beta = await world.beta_mod.slash(world.beta_general, "brief", topic="japan-korea")
    assert "Survives restarts" not in text_of(beta) and "Steady after" not in text_of(beta)
