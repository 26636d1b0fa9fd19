"""Stored sentence embeddings of developments (migration 009): written when a development
is saved or by a reindex, read by /ask in batches of what changed."""

from __future__ import annotations

from collections.abc import Sequence

from storage.contract import Db, DbWriter, Row


async def put_vector(w: DbWriter, dev_id: int, model: str, scale: float, vector: bytes) -> None:
    """Store (or replace) one development's vector."""
    await w.execute(
        "INSERT INTO development_vectors (development_id, model, scale, vector, seq) "
        "VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM development_vectors)) "
        "ON CONFLICT (development_id) DO UPDATE SET model = excluded.model, "
        "scale = excluded.scale, vector = excluded.vector, seq = excluded.seq",
        (dev_id, model, scale, vector),
    )


async def drop_vector(w: DbWriter, dev_id: int) -> None:
    """Forget one development's vector (retracted)."""
    await w.execute("DELETE FROM development_vectors WHERE development_id = ?", (dev_id,))


async def vectors_since(db: Db, seq: int, model: str, limit: int = 5000) -> Sequence[Row]:
    """Vectors of `model` written after `seq`, in write order (a batch at most `limit`)."""
    return await db.fetchall(
        "SELECT development_id, scale, vector, seq FROM development_vectors "
        "WHERE seq > ? AND model = ? ORDER BY seq LIMIT ?",
        (seq, model, limit),
    )


async def unembedded(db: Db, model: str, limit: int = 256) -> Sequence[Row]:
    """Published developments without a vector of `model` (what a reindex embeds)."""
    return await db.fetchall(
        "SELECT d.id, d.title, d.summary, d.tags FROM developments d "
        "LEFT JOIN development_vectors v ON v.development_id = d.id AND v.model = ? "
        "WHERE d.status = 'published' AND v.development_id IS NULL ORDER BY d.id LIMIT ?",
        (model, limit),
    )


async def newest_import(db: Db) -> int:
    """The id of the newest import made visible (0: none); one index probe."""
    return int(
        await db.scalar("SELECT COALESCE(MAX(id), 0) FROM imports WHERE visible_at IS NOT NULL")
        or 0
    )


async def put_vectors(w: DbWriter, model: str, rows: Sequence[tuple[int, float, bytes]]) -> None:
    """Store many vectors at once (a reindex batch)."""
    for dev_id, scale, vector in rows:
        await put_vector(w, dev_id, model, scale, vector)
