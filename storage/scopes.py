"""Moving everything a scope owns to another id of the same platform (a Telegram group
upgraded to a supergroup gets a new chat id)."""

from __future__ import annotations

from bot.domain.scope import Scope
from storage.database import Writer

# Tables whose (platform, guild_id) name the owning scope.
_OWNED = ("developments", "assessments", "subscriptions")


async def move_scope(w: Writer, old: Scope, new: Scope) -> dict[str, int]:
    """Re-home every row of `old` under `new`, in the caller's transaction; rows moved per
    table. Where `new` already has its own settings or digest subscription, those win (the
    old ones are dropped: the old chat can no longer be reached)."""
    moved = {}
    for table in _OWNED:
        moved[table] = await w.execute_rowcount(
            f"UPDATE {table} SET guild_id = ? WHERE platform = ? AND guild_id = ?",
            (new.id, old.platform, old.id),
        )
    # The chat itself was the digest's destination: it moves with its id.
    moved["subscription channels"] = await w.execute_rowcount(
        "UPDATE OR IGNORE subscriptions SET channel_id = ? WHERE platform = ? AND channel_id = ?",
        (new.id, old.platform, old.id),
    )
    # Left behind only when the new chat already has its own subscription: that one wins.
    await w.execute(
        "DELETE FROM subscriptions WHERE platform = ? AND channel_id = ?", (old.platform, old.id)
    )
    moved["open deliveries"] = await w.execute_rowcount(
        "UPDATE digest_deliveries SET channel_id = ? WHERE state = 'sending' AND channel_id = ? "
        "AND subscription_id IN (SELECT id FROM subscriptions WHERE platform = ?)",
        (new.id, old.id, old.platform),
    )
    moved["scope_settings"] = await w.execute_rowcount(
        "UPDATE OR IGNORE scope_settings SET scope_id = ? WHERE platform = ? AND scope_id = ?",
        (new.id, old.platform, old.id),
    )
    await w.execute(
        "DELETE FROM scope_settings WHERE platform = ? AND scope_id = ?", (old.platform, old.id)
    )
    return moved
