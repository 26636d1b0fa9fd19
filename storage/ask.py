"""What /ask needs from storage besides search: how common a wording is in the catalogue.

Kept to one small query so another backend (PostgreSQL: a capped count over the tsvector
index) can answer it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.sqlite.database import Database

COUNT_CAP = 2000


def _phrase(words: Sequence[str], prefix: bool) -> str:
    """Every word of a wording, each quoted (user words cannot inject syntax), as a prefix
    or a whole word."""
    star = "*" if prefix else ""
    return " AND ".join('"' + w.replace('"', '""') + '"' + star for w in words)


async def wording_count(
    db: Database, wordings: Sequence[Sequence[str]], *, prefix: bool = True, cap: int = COUNT_CAP
) -> int:
    """How many indexed developments contain every word of at least one wording, counted
    up to `cap` (a count of a word in most rows would walk all of them). Whole words
    (`prefix=False`) cost least: SQLite merges the lists of every word a prefix starts
    before it returns a row."""
    parts = [f"({_phrase(w, prefix)})" for w in wordings if w]
    if not parts:
        return 0
    expression = " OR ".join(parts)
    found = await db.scalar(
        "SELECT count(*) FROM (SELECT 1 FROM developments_fts WHERE developments_fts MATCH ? "
        "LIMIT ?)",
        (expression, cap),
    )
    return int(found or 0)


async def indexed_count(db: Database) -> int:
    """Roughly how many developments are indexed (the highest id: one index probe)."""
    return int(await db.scalar("SELECT COALESCE(MAX(id), 0) FROM developments") or 0)
