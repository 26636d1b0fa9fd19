"""Telegram conversations in progress and what their forms collected, shared by every process
on the database (whichever of them polls Telegram carries a conversation on). Keys and data
arrive as JSON text; the service above chooses the encoding."""

from __future__ import annotations

from storage.contract import Db


async def load_conversations(db: Db, name: str) -> list[tuple[str, int]]:
    """The conversation `name`'s open keys (JSON) and their steps."""
    rows = await db.fetchall(
        "SELECT conv_key, state FROM telegram_conversations WHERE name = ? ORDER BY conv_key",
        (name,),
    )
    return [(str(r["conv_key"]), int(r["state"])) for r in rows]


async def put_conversation(db: Db, name: str, key: str, state: int | None, *, at: str) -> None:
    """Record a conversation's step; None (ended) removes it."""
    async with db.transaction() as w:
        if state is None:
            await w.execute(
                "DELETE FROM telegram_conversations WHERE name = ? AND conv_key = ?", (name, key)
            )
            return
        await w.execute(
            "INSERT INTO telegram_conversations (name, conv_key, state, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name, conv_key) DO UPDATE SET "
            "state = excluded.state, updated_at = excluded.updated_at",
            (name, key, state, at),
        )


async def load_user_data(db: Db) -> list[tuple[int, str]]:
    """Every person's stored form data (JSON)."""
    rows = await db.fetchall("SELECT user_id, data FROM telegram_user_data ORDER BY user_id")
    return [(int(r["user_id"]), str(r["data"])) for r in rows]


async def put_user_data(db: Db, user_id: int, data: str | None, *, at: str) -> None:
    """Store a person's form data; None removes it."""
    async with db.transaction() as w:
        if data is None:
            await w.execute("DELETE FROM telegram_user_data WHERE user_id = ?", (user_id,))
            return
        await w.execute(
            "INSERT INTO telegram_user_data (user_id, data, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, "
            "updated_at = excluded.updated_at",
            (user_id, data, at),
        )
