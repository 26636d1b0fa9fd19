"""Conversations in progress on a chat platform, kept in the shared database.

Only one process polls Telegram at a time; when another takes over (the poller died or was
stopped), it reads from here where each person was in `/add` or `/assess` and what they had
entered, so the conversation carries on. Keys and form data are stored as JSON: what cannot
be encoded is a programming error, raised, never silently dropped.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.clock import Clock, iso_utc
from storage import conversations as store
from storage.contract import Db

ConversationKey = tuple[int | str, ...]


class ConversationStore:
    """Conversation steps and form data of one platform's front end."""

    def __init__(self, db: Db, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def conversations(self, name: str) -> dict[ConversationKey, int]:
        """The open conversations of the form `name`: key → step."""
        return {
            tuple(json.loads(key)): state
            for key, state in await store.load_conversations(self.db, name)
        }

    async def user_data(self) -> dict[int, dict[Any, Any]]:
        """What each person's forms collected so far."""
        return {user_id: json.loads(data) for user_id, data in await store.load_user_data(self.db)}

    async def save(
        self,
        steps: dict[tuple[str, ConversationKey], int | None],
        users: dict[int, dict[Any, Any] | None],
    ) -> None:
        """Record conversation steps (None: ended) and people's form data (None or empty:
        none) together, in one transaction."""
        await store.save(
            self.db,
            [(name, json.dumps(list(key)), state) for (name, key), state in steps.items()],
            [
                (user_id, json.dumps(data, sort_keys=True) if data else None)
                for user_id, data in users.items()
            ],
            at=iso_utc(self.clock()),
        )
