"""Moving a chat's rows to its new id (a Telegram group upgraded to a supergroup)."""

from __future__ import annotations

from storage.database import Writer


async def move_chat(w: Writer, old_id: int, new_id: int) -> int:
    """Re-address the chat's subscription and open deliveries; subscriptions moved.

    A subscription whose scope was the group itself (guild_id = the chat id) moves its scope
    too. A subscription already at the new id wins: the old one is left for the caller to
    remove (UNIQUE channel_id)."""
    taken = await w.fetchone("SELECT 1 FROM subscriptions WHERE channel_id = ?", (new_id,))
    if taken is not None:
        return 0
    moved = await w.execute_rowcount(
        "UPDATE subscriptions SET channel_id = ?, "
        "guild_id = CASE WHEN guild_id = ? THEN ? ELSE guild_id END WHERE channel_id = ?",
        (new_id, old_id, new_id, old_id),
    )
    await w.execute(
        "UPDATE digest_deliveries SET channel_id = ? WHERE channel_id = ? AND state = 'sending'",
        (new_id, old_id),
    )
    return moved
