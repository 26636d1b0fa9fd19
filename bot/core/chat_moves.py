"""A Telegram group upgraded to a supergroup gets a new chat id: its subscription (and an
unfinished delivery of it) follow it there by themselves."""

from __future__ import annotations

import logging

from storage import chat_moves as store
from storage.database import Database

log = logging.getLogger(__name__)


async def move_chat(db: Database, old_chat_id: int, new_chat_id: int) -> int:
    """Point everything addressed to `old_chat_id` at `new_chat_id`; how many subscriptions
    moved. Idempotent: a second call finds nothing left to move."""
    async with db.transaction() as w:
        moved = await store.move_chat(w, old_chat_id, new_chat_id)
    if moved:
        log.info("subscription moved chat=%s to=%s (group upgraded)", old_chat_id, new_chat_id)
    return moved
