"""A scope that changes its id: a Telegram group upgraded to a supergroup (Telegram then
reports `migrate_to_chat_id`) keeps its own developments, assessments, settings and
digest subscriptions under the new id."""

from __future__ import annotations

import logging

from bot.domain.errors import InvalidInput
from bot.domain.scope import Scope
from bot.i18n import gettext as _
from storage.contract import Db
from storage.scopes import move_scope as move_rows

log = logging.getLogger(__name__)


async def move_scope(db: Db, old: Scope, new: Scope) -> dict[str, int]:
    """Re-home everything `old` owns under `new` (same platform), in one transaction; the
    rows moved per table. Moving twice is harmless: the second finds nothing."""
    if old.platform != new.platform:
        raise InvalidInput("scope", _("a scope moves within its own platform only"))
    async with db.transaction() as w:
        moved = await move_rows(w, old, new)
    log.info("scope moved from=%s to=%s rows=%s", old.key(), new.key(), moved)
    return moved
