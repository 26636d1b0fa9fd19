"""Moving a Telegram chat's rows to its new id (a group upgraded to a supergroup)."""

from __future__ import annotations

from storage.database import Writer

# Rows whose scope is the chat: (table, scope id column).
_SCOPED = (("developments", "guild_id"), ("assessments", "guild_id"))


async def move_chat(w: Writer, old_id: int, new_id: int) -> int:
    """Re-address everything of Telegram chat `old_id` to `new_id`: its subscription (and
    an unfinished delivery of it), its own developments and assessments and its settings.
    Returns how many subscriptions moved; a second call finds nothing left to move.

    A subscription already at the new id wins (channel ids are UNIQUE): the old one stays."""
    moved = 0
    taken = await w.fetchone("SELECT 1 FROM subscriptions WHERE channel_id = ?", (new_id,))
    if taken is None:
        moved = await w.execute_rowcount(
            "UPDATE subscriptions SET channel_id = ?, "
            "guild_id = CASE WHEN guild_id = ? THEN ? ELSE guild_id END "
            "WHERE channel_id = ? AND platform = 'telegram'",
            (new_id, old_id, new_id, old_id),
        )
        await w.execute(
            "UPDATE digest_deliveries SET channel_id = ? "
            "WHERE channel_id = ? AND state = 'sending'",
            (new_id, old_id),
        )
    for table, column in _SCOPED:
        await w.execute(
            f"UPDATE {table} SET {column} = ? WHERE platform = 'telegram' AND {column} = ?",
            (new_id, old_id),
        )
    await w.execute(
        "UPDATE OR IGNORE scope_settings SET scope_id = ? "
        "WHERE platform = 'telegram' AND scope_id = ?",
        (new_id, old_id),
    )
    return moved
