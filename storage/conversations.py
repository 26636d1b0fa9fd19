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


async def save(
    db: Db,
    steps: list[tuple[str, str, int | None]],
    users: list[tuple[int, str | None]],
    *,
    at: str,
) -> None:
    """In one transaction (a process killed half-way leaves a step and its form's data
    matching): conversation steps `(name, key, step)`, None removing one (it ended), and
    people's form data `(user id, data)`, None removing it."""
    if not steps and not users:
        return
    async with db.transaction() as w:
        for name, key, state in steps:
            if state is None:
                await w.execute(
                    "DELETE FROM telegram_conversations WHERE name = ? AND conv_key = ?",
                    (name, key),
                )
            else:
                await w.execute(
                    "INSERT INTO telegram_conversations (name, conv_key, state, updated_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (name, conv_key) DO UPDATE SET "
                    "state = excluded.state, updated_at = excluded.updated_at",
                    (name, key, state, at),
                )
        for user_id, data in users:
            if data is None:
                await w.execute("DELETE FROM telegram_user_data WHERE user_id = ?", (user_id,))
            else:
                await w.execute(
                    "INSERT INTO telegram_user_data (user_id, data, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, "
                    "updated_at = excluded.updated_at",
                    (user_id, data, at),
                )


async def load_user_data(db: Db) -> list[tuple[int, str]]:
    """Every person's stored form data (JSON)."""
    rows = await db.fetchall("SELECT user_id, data FROM telegram_user_data ORDER BY user_id")
    return [(int(r["user_id"]), str(r["data"])) for r in rows]
