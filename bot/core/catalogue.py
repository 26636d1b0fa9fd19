"""The catalogue service: add, edit, retract, show and audit developments; set assessments.

All permission and visibility rules are checked here, before anything is written, so a
refusal never changes the database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.actors import Actor, check_can_write, check_visible, default_scope
from bot.core.topics import get_topic
from bot.core.validation import REASON_MAX, check_draft, require_text
from bot.domain.clock import Clock, iso_utc, system_clock
from bot.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.domain.models import Assessment, Development, DevelopmentDraft, Revision, Trend
from bot.domain.scope import Scope, scope_key
from bot.i18n import gettext as _
from storage import assessments as assessment_queries
from storage import catalogue as queries
from storage.contract import Db, DbWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EditResult:
    """The development after an edit and what changed ({} when nothing did)."""

    development: Development
    changes: dict[str, list[Any]]


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose values differ, as {field: [old, new]}."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


class Catalogue:
    """Developments and assessments, as one server (or the operator) sees them."""

    def __init__(self, db: Db, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock
        #: Called with each development after it was added, edited or retracted (the /ask
        #: embeddings); a failing listener is logged and never undoes the change.
        self.listeners: list[Callable[[Db, Development], Awaitable[None]]] = []

    async def _saved(self, dev: Development) -> Development:
        for listener in self.listeners:
            try:
                await listener(self.db, dev)
            except Exception:
                log.exception("listener failed after saving development id=%s", dev.id)
        return dev

    async def show(self, dev_id: int, viewer: Scope | None) -> Development:
        """One development visible from `viewer` (retracted ones too)."""
        dev = await queries.get_development(self.db, dev_id)
        if dev is None:
            raise NotFound(_("There is no development #{id}.").format(id=dev_id))
        check_visible(dev.scope, viewer, _("development #{id}").format(id=dev_id))
        return dev

    async def add(
        self, actor: Actor, draft: DevelopmentDraft, scope: str | None = None
    ) -> Development:
        """Publish a new development in the actor's default (or requested) scope."""
        draft = check_draft(draft)
        owner = default_scope(actor, scope)
        at = iso_utc(self.clock())
        async with self.db.transaction() as w:
            dev_id = await queries.insert_development(
                w, draft, scope=owner, actor=actor.label, at=at
            )
            snapshot = draft.to_dict() | {
                "status": "published",
                "retraction_reason": None,
                "scope": scope_key(owner),
            }
            await queries.insert_revision(
                w, dev_id, action="create", actor=actor.label, at=at, changes={}, snapshot=snapshot
            )
        log.info("development added id=%s scope=%s actor=%s", dev_id, scope_key(owner), actor.label)
        return await self._saved(await self.show(dev_id, owner))

    async def _writable(self, actor: Actor, dev_id: int) -> Development:
        dev = await self.show(dev_id, actor.scope)
        check_can_write(actor, dev.scope, _("development #{id}").format(id=dev_id))
        return dev

    @staticmethod
    async def _unchanged_since(w: DbWriter, before: Development) -> None:
        """Inside the write transaction: nobody changed it since `before` was read."""
        if await queries.revision_count(w, before.id) != before.revision_count:
            raise Conflict(
                _(
                    "#{id} was changed by someone else a moment ago; look at it again and redo your change."
                ).format(id=before.id)
            )

    async def edit(self, actor: Actor, dev_id: int, draft: DevelopmentDraft) -> EditResult:
        """Replace a development's content, recording a revision of what changed."""
        draft = check_draft(draft)
        before = await self._writable(actor, dev_id)
        if before.retracted:
            raise InvalidInput(
                "id",
                _("#{dev_id} is retracted; retracted developments are frozen").format(
                    dev_id=dev_id
                ),
            )
        changes = diff(before.to_dict(), draft.to_dict())
        if not changes:
            return EditResult(before, {})
        at = iso_utc(self.clock())
        async with self.db.transaction() as w:
            await self._unchanged_since(w, before)
            await queries.update_development(w, dev_id, draft, actor=actor.label, at=at)
            snapshot = queries.snapshot_of(before) | draft.to_dict()
            await queries.insert_revision(
                w,
                dev_id,
                action="edit",
                actor=actor.label,
                at=at,
                changes=changes,
                snapshot=snapshot,
            )
        log.info("development edited id=%s fields=%s actor=%s", dev_id, list(changes), actor.label)
        return EditResult(await self._saved(await self.show(dev_id, actor.scope)), changes)

    async def retract(self, actor: Actor, dev_id: int, reason: str) -> Development:
        """Hide a development from briefs, search and digests, keeping it in history."""
        text = require_text("reason", reason, REASON_MAX, single_line=True)
        before = await self._writable(actor, dev_id)
        if before.retracted:
            raise InvalidInput("id", _("#{dev_id} is already retracted").format(dev_id=dev_id))
        at = iso_utc(self.clock())
        async with self.db.transaction() as w:
            await self._unchanged_since(w, before)
            await queries.retract_development(w, dev_id, text, actor=actor.label, at=at)
            snapshot = queries.snapshot_of(before) | {
                "status": "retracted",
                "retraction_reason": text,
            }
            await queries.insert_revision(
                w,
                dev_id,
                action="retract",
                actor=actor.label,
                at=at,
                changes={"status": ["published", "retracted"], "retraction_reason": [None, text]},
                snapshot=snapshot,
            )
        log.info("development retracted id=%s actor=%s", dev_id, actor.label)
        return await self._saved(await self.show(dev_id, actor.scope))

    async def history(self, actor: Actor, dev_id: int) -> tuple[Development, list[Revision]]:
        """A development and every revision of it (moderators and editors only)."""
        dev = await self.show(dev_id, actor.scope)
        if not (actor.is_moderator or actor.is_editor):
            raise PermissionDenied(_("Only moderators and editors can read revision history."))
        return dev, await queries.list_revisions(self.db, dev_id)

    async def set_assessment(
        self,
        actor: Actor,
        topic: str,
        bottom_line: str,
        trend: Trend,
        watch_next: tuple[str, ...],
        scope: str | None = None,
    ) -> Assessment:
        """Record a new current assessment of a topic in the actor's scope."""
        slug = get_topic(topic).slug
        owner = default_scope(actor, scope)
        assessment = Assessment(
            topic=slug,
            scope=owner,
            bottom_line=bottom_line,
            trend=trend,
            watch_next=watch_next,
            author=actor.label,
            created_at=iso_utc(self.clock()),
        )
        async with self.db.transaction() as w:
            new_id = await assessment_queries.insert_assessment(w, assessment)
        log.info("assessment set topic=%s scope=%s actor=%s", slug, scope_key(owner), actor.label)
        return Assessment(**{**assessment.__dict__, "id": new_id})

    async def current_assessment(self, topic: str, viewer: Scope | None) -> Assessment | None:
        """The assessment a scope sees for a topic: its own, else the global one."""
        return await assessment_queries.current_assessment(self.db, get_topic(topic).slug, viewer)

    async def counts(self) -> dict[str, int]:
        """Totals for /about and `check`: published global and server developments,
        retracted ones, sources."""
        return await queries.catalogue_counts(self.db)

    async def autocomplete_ids(
        self, text: str, viewer: Scope | None, *, limit: int = 25
    ) -> list[tuple[int, str]]:
        """(id, title) pairs for an id box, of developments `viewer` can see."""
        return await queries.autocomplete_ids(self.db, text, viewer, limit=limit)
