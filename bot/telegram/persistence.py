"""python-telegram-bot's persistence in the shared database: the steps of `/add` and
`/assess` and what their forms collected survive a change of the process that polls.

Only the poller handles updates, and it writes a change right after the update that made it
(`MeasuredApplication.process_update` → `write()`), a step and its form's data in one
transaction, so a process that takes over after the poller's death finds each person where
they were. Only people's form data and conversation steps are kept:
chat data (who owns a timeline's buttons) and bot data stay in memory.
"""

from __future__ import annotations

import copy
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.core.conversations import ConversationStore

Data = dict[Any, Any]


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """Conversation steps and user data through `ConversationStore`; unchanged data is not
    written again (every update marks its sender for saving)."""

    def __init__(self, store: ConversationStore) -> None:
        # The periodic flush is a fallback: each update's changes are written as it ends.
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=60,
        )
        self.store = store
        self._written: dict[int, Data] = {}
        # Changes python-telegram-bot handed over, written together by `write()`.
        self._steps: dict[tuple[str, ConversationKey], int | None] = {}
        self._users: dict[int, Data | None] = {}

    async def get_user_data(self) -> dict[int, Data]:
        """Every person's form data, as stored now (at start, and when this process takes
        over polling: what it had not written yet is another process's business now)."""
        self._steps, self._users = {}, {}
        self._written = await self.store.user_data()
        return copy.deepcopy(self._written)

    async def get_chat_data(self) -> dict[int, Data]:
        """Not kept."""
        return {}

    async def get_bot_data(self) -> Data:
        """Not kept."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Not kept (callback data are plain strings)."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """The open conversations of the form `name`, as stored now."""
        return dict(await self.store.conversations(name))

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Record a step (None: the conversation ended)."""
        if new_state is not None and not isinstance(new_state, int):
            raise TypeError(f"conversation {name}: a step must be a number, not {new_state!r}")
        self._steps[(name, key)] = new_state

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Store a person's form data if it changed."""
        if data == self._written.get(user_id, {}):
            return
        self._users[user_id] = copy.deepcopy(data) if data else None
        if data:
            self._written[user_id] = copy.deepcopy(data)
        else:
            self._written.pop(user_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a person's form data."""
        self._written.pop(user_id, None)
        self._users[user_id] = None

    async def write(self) -> None:
        """Write the changes handed over since the last write, in one transaction."""
        steps, self._steps = self._steps, {}
        users, self._users = self._users, {}
        try:
            await self.store.save(steps, users)
        except BaseException:
            # Kept for the next write (newer changes made meanwhile win).
            self._steps = {**steps, **self._steps}
            self._users = {**users, **self._users}
            raise

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Not kept."""

    async def update_bot_data(self, data: Data) -> None:
        """Not kept."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not kept."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not kept."""

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Nothing to refresh: only the poller changes user data."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Not kept."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Not kept."""

    async def flush(self) -> None:
        """Write what is left (at stop)."""
        await self.write()
