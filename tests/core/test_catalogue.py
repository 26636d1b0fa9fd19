"""The catalogue service: revisions, retraction, visibility and permission refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core import lookup
from bot.core.actors import OPERATOR
from bot.core.briefs import compose_brief
from bot.core.catalogue import Catalogue
from bot.domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from storage import assessments as assessment_queries
from storage import catalogue as queries
from storage.contract import Db
from tests.helpers import (
    EDITOR,
    EDITOR_IN_A,
    GUILD_A,
    MEMBER_A,
    MOD_A,
    MOD_B,
    SCOPE_A,
    FixedClock,
    draft,
    require_search,
    row_counts,
    table_dump,
)


@pytest.fixture
def db(any_db: Db) -> Db:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db


async def test_add_writes_a_create_revision(catalogue: Catalogue, clock: FixedClock) -> None:
    dev = await catalogue.add(EDITOR, draft())
    assert dev.is_global and dev.status == "published"
    assert dev.created_by == EDITOR.label == dev.updated_by
    assert dev.created_at == "2023-05-01T09:30:00Z"
    assert dev.revision_count == 1
    _, revisions = await catalogue.history(EDITOR, dev.id)
    (rev,) = revisions
    assert (rev.number, rev.action, rev.actor, rev.at) == (
        1,
        "create",
        EDITOR.label,
        "2023-05-01T09:30:00Z",
    )
    assert rev.snapshot["title"] == dev.title and rev.snapshot["scope"] == "global"


async def test_moderator_adds_to_their_server(catalogue: Catalogue) -> None:
    dev = await catalogue.add(MOD_A, draft())
    assert dev.guild_id == GUILD_A
    assert (await catalogue.show(dev.id, SCOPE_A)).id == dev.id
    with pytest.raises(NotFound):
        await catalogue.show(dev.id, None)


async def test_edit_records_who_when_what(catalogue: Catalogue, db: Db, clock: FixedClock) -> None:
    dev = await catalogue.add(EDITOR, draft())
    clock.advance(hours=2)
    result = await catalogue.edit(
        EDITOR, dev.id, draft(title="Ministers meet again", importance="3")
    )
    assert result.changes == {
        "title": [dev.title, "Ministers meet again"],
        "importance": [2, 3],
    }
    assert result.development.title == "Ministers meet again"
    assert result.development.updated_at == "2023-05-01T11:30:00Z"
    assert result.development.created_at == "2023-05-01T09:30:00Z"
    _, revisions = await catalogue.history(EDITOR, dev.id)
    assert [r.action for r in revisions] == ["create", "edit"]
    edit = revisions[1]
    assert edit.number == 2 and edit.actor == EDITOR.label and edit.at == "2023-05-01T11:30:00Z"
    assert edit.changes == result.changes
    assert edit.snapshot["title"] == "Ministers meet again"
    assert edit.snapshot["status"] == "published"


async def test_edit_without_change_writes_nothing(catalogue: Catalogue, db: Db) -> None:
    dev = await catalogue.add(EDITOR, draft())
    before = await table_dump(db)
    result = await catalogue.edit(EDITOR, dev.id, draft())
    assert result.changes == {}
    assert result.development == dev
    assert await table_dump(db) == before


async def test_retract_hides_from_briefs_and_search_but_show_keeps_it(
    catalogue: Catalogue, db: Db, clock: FixedClock
) -> None:
    require_search(db)
    summit = (await lookup.search(db, "Kishida summit", None)).hits[0].development
    assert summit.seed_key == "yoon-kishida-summit-2023-03-16"
    clock.advance(days=1)
    retracted = await catalogue.retract(EDITOR, summit.id, "  Duplicate of\n a newer entry ")
    assert retracted.retracted and retracted.retraction_reason == "Duplicate of a newer entry"
    brief = await compose_brief(db, "japan-korea", None, clock=clock)
    listed = {i.development.id for i in brief.key + brief.context + brief.upcoming}
    assert summit.id not in listed
    assert brief.total == 9
    assert not (await lookup.search(db, "Kishida", None)).hits
    timeline = await lookup.timeline(db, "japan-korea", None)
    assert summit.id not in [d.id for d in timeline.developments]
    shown = await catalogue.show(summit.id, None)
    assert shown.retracted and shown.title == summit.title
    _, revisions = await catalogue.history(EDITOR, summit.id)
    assert [r.action for r in revisions] == ["import", "retract"]
    assert revisions[-1].changes["status"] == ["published", "retracted"]
    assert revisions[-1].at == "2023-05-02T09:30:00Z"
    with pytest.raises(InvalidInput):
        await catalogue.retract(EDITOR, summit.id, "again")
    with pytest.raises(InvalidInput):
        await catalogue.edit(EDITOR, summit.id, draft())


async def test_retract_needs_a_reason(catalogue: Catalogue, db: Db) -> None:
    before = await table_dump(db)
    with pytest.raises(InvalidInput, match="reason"):
        await catalogue.retract(EDITOR, 1, "   ")
    assert await table_dump(db) == before


async def test_unknown_development(catalogue: Catalogue) -> None:
    with pytest.raises(NotFound, match="#999"):
        await catalogue.show(999, None)


def _refusals(
    catalogue: Catalogue, global_id: int, server_a_id: int
) -> list[tuple[str, type[DomainError], Callable[[], Awaitable[Any]]]]:
    return [
        ("member adds", PermissionDenied, lambda: catalogue.add(MEMBER_A, draft())),
        (
            "moderator adds globally",
            PermissionDenied,
            lambda: catalogue.add(MOD_A, draft(), scope="global"),
        ),
        (
            "operator adds to a server from nowhere",
            PermissionDenied,
            lambda: catalogue.add(OPERATOR, draft(), scope="server"),
        ),
        (
            "moderator edits a global development",
            PermissionDenied,
            lambda: catalogue.edit(MOD_A, global_id, draft()),
        ),
        (
            "moderator retracts a global development",
            PermissionDenied,
            lambda: catalogue.retract(MOD_A, global_id, "no"),
        ),
        (
            "moderator edits another server's development",
            NotFound,
            lambda: catalogue.edit(MOD_B, server_a_id, draft(title="hijack")),
        ),
        (
            "moderator retracts another server's development",
            NotFound,
            lambda: catalogue.retract(MOD_B, server_a_id, "hijack"),
        ),
        (
            "member edits their server's development",
            PermissionDenied,
            lambda: catalogue.edit(MEMBER_A, server_a_id, draft(title="x")),
        ),
        (
            "editor (not a moderator there) edits a server's development",
            PermissionDenied,
            lambda: catalogue.edit(EDITOR_IN_A, server_a_id, draft(title="x")),
        ),
        (
            "editor outside the server edits a server's development",
            NotFound,
            lambda: catalogue.edit(EDITOR, server_a_id, draft(title="x")),
        ),
        (
            "member reads history",
            PermissionDenied,
            lambda: catalogue.history(MEMBER_A, global_id),
        ),
        (
            "moderator sets the global assessment",
            PermissionDenied,
            lambda: catalogue.set_assessment(
                MOD_A, "trilateral", "x", "improving", (), scope="global"
            ),
        ),
        (
            "member sets an assessment",
            PermissionDenied,
            lambda: catalogue.set_assessment(MEMBER_A, "trilateral", "x", "improving", ()),
        ),
    ]


async def test_refusals_raise_and_change_nothing(catalogue: Catalogue, db: Db) -> None:
    global_id = 2
    server_a = await catalogue.add(MOD_A, draft(title="Server A's development"))
    for what, error, attempt in _refusals(catalogue, global_id, server_a.id):
        before_counts = await row_counts(db)
        before = await table_dump(db)
        with pytest.raises(error):
            await attempt()
        assert await row_counts(db) == before_counts, what
        assert await table_dump(db) == before, what


async def test_editor_and_moderator_scopes(catalogue: Catalogue) -> None:
    # An editor's additions go to the global catalogue, a moderator's to their server.
    assert (await catalogue.add(EDITOR, draft())).guild_id is None
    assert (await catalogue.add(MOD_A, draft())).guild_id == GUILD_A
    # An editor who moderates a server chooses, defaulting to the server.
    editor_mod = EDITOR_IN_A.__class__(**{**EDITOR_IN_A.__dict__, "is_moderator": True})
    assert (await catalogue.add(editor_mod, draft())).guild_id == GUILD_A
    assert (await catalogue.add(editor_mod, draft(), scope="global")).guild_id is None
    # The editor edits global developments from inside any server.
    result = await catalogue.edit(EDITOR_IN_A, 1, draft(title="Edited by an editor"))
    assert result.development.title == "Edited by an editor"
    # A moderator edits and retracts their own server's developments.
    own = await catalogue.add(MOD_A, draft())
    assert (await catalogue.edit(MOD_A, own.id, draft(summary="Changed."))).changes
    assert (await catalogue.retract(MOD_A, own.id, "mistake")).retracted
    _, history = await catalogue.history(MOD_A, own.id)
    assert [r.action for r in history] == ["create", "edit", "retract"]


async def test_assessments_keep_history(catalogue: Catalogue, db: Db) -> None:
    first = await catalogue.current_assessment("trilateral", None)
    assert first is not None and first.trend == "improving"
    new = await catalogue.set_assessment(
        EDITOR, "trilateral", "Holding steady.", "unchanged", ("Next summit",)
    )
    assert new.id > first.id
    current = await catalogue.current_assessment("trilateral", SCOPE_A)
    assert current is not None and current.bottom_line == "Holding steady."
    local = await catalogue.set_assessment(MOD_A, "trilateral", "Our view.", "deteriorating", ())
    assert local.guild_id == GUILD_A
    seen_in_a = await catalogue.current_assessment("trilateral", SCOPE_A)
    seen_globally = await catalogue.current_assessment("trilateral", None)
    assert seen_in_a is not None and seen_in_a.bottom_line == "Our view."
    assert seen_globally is not None and seen_globally.bottom_line == "Holding steady."
    history = await assessment_queries.assessment_history(db, "trilateral", None)
    assert [a.bottom_line for a in history] == ["Holding steady.", first.bottom_line]


async def test_revision_numbers_follow_each_development(catalogue: Catalogue, db: Db) -> None:
    dev = await catalogue.add(EDITOR, draft())
    for n in range(3):
        await catalogue.edit(EDITOR, dev.id, draft(summary=f"Version {n}."))
    revisions = await queries.list_revisions(db, dev.id)
    assert [r.number for r in revisions] == [1, 2, 3, 4]
    assert (await catalogue.show(dev.id, None)).revision_count == 4


async def test_overlapping_edits_and_retracts_do_not_both_win(
    catalogue: Catalogue, db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two moderators acting on the same version: the second is refused, nothing is lost."""
    import asyncio

    from bot.domain.errors import Conflict

    dev = await catalogue.add(EDITOR, draft())
    # Both have read the version before either writes (on a loaded machine, one change
    # could otherwise be over before the other began: two changes one after the other).
    both_read = asyncio.Barrier(2)
    read = catalogue._writable

    async def read_then_wait(*args: Any) -> Any:
        before = await read(*args)
        await both_read.wait()
        return before

    monkeypatch.setattr(catalogue, "_writable", read_then_wait)
    results = await asyncio.gather(
        catalogue.edit(EDITOR, dev.id, draft(title="First editor's title")),
        catalogue.edit(EDITOR, dev.id, draft(title="Second editor's title")),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert len(await queries.list_revisions(db, dev.id)) == 2

    retracts = await asyncio.gather(
        catalogue.retract(EDITOR, dev.id, "duplicate"),
        catalogue.retract(EDITOR, dev.id, "wrong date"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, DomainError) for r in retracts) == 1
    revisions = await queries.list_revisions(db, dev.id)
    assert [r.action for r in revisions] == ["create", "edit", "retract"]
