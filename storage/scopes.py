"""Moving everything a scope owns to another id of the same platform (a Telegram group
upgraded to a supergroup gets a new chat id)."""

from __future__ import annotations

from bot.domain.scope import Scope
from storage.contract import DbWriter

# Tables whose (platform, guild_id) name the owning scope.
_OWNED = ("developments", "assessments", "subscriptions")


async def move_scope(w: DbWriter, old: Scope, new: Scope) -> dict[str, int]:
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
    # Each move below skips a row whose new key is taken (SQLite's `UPDATE OR IGNORE`,
    # written so PostgreSQL runs it too); the row left behind is then deleted.
    moved["subscription channels"] = await w.execute_rowcount(
        "UPDATE subscriptions SET channel_id = ? WHERE platform = ? AND channel_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.channel_id = ?)",
        (new.id, old.platform, old.id, new.id),
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
        "UPDATE scope_settings SET scope_id = ? WHERE platform = ? AND scope_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM scope_settings o WHERE o.platform = ? AND o.scope_id = ?)",
        (new.id, old.platform, old.id, old.platform, new.id),
    )
    await w.execute(
        "DELETE FROM scope_settings WHERE platform = ? AND scope_id = ?", (old.platform, old.id)
    )
    moved.update(await _move_feeds(w, old, new))
    return moved


async def _move_feeds(w: DbWriter, old: Scope, new: Scope) -> dict[str, int]:
    """The scope's feeds, review queue and rejected stories; a feed the new scope already
    reads stays the new scope's (the old copy goes, with its seen items)."""
    moved = {
        "feeds": await w.execute_rowcount(
            "UPDATE feeds SET scope_id = ? WHERE platform = ? AND scope_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM feeds o "
            "WHERE o.platform = feeds.platform AND o.scope_id = ? AND o.url = feeds.url)",
            (new.id, old.platform, old.id, new.id),
        )
    }
    for table in ("candidates", "rejected_stories"):
        moved[table] = await w.execute_rowcount(
            f"UPDATE {table} SET scope_id = ? WHERE platform = ? AND scope_id = ?",
            (new.id, old.platform, old.id),
        )
    await w.execute("DELETE FROM feeds WHERE platform = ? AND scope_id = ?", (old.platform, old.id))
    # The chat itself was where its cards went.
    await w.execute(
        "UPDATE feed_review_channels SET queue_key = ?, channel_id = CASE "
        "WHEN platform = ? AND channel_id = ? THEN ? ELSE channel_id END WHERE queue_key = ? "
        "AND NOT EXISTS (SELECT 1 FROM feed_review_channels o WHERE o.queue_key = ?)",
        (new.key(), old.platform, old.id, new.id, old.key(), new.key()),
    )
    await w.execute("DELETE FROM feed_review_channels WHERE queue_key = ?", (old.key(),))
    return moved
