"""Substring search for Chinese, Japanese and Korean text (migration 003).

CJK text has no spaces between words, so the word index (unicode61) holds whole runs such
as `日韓首脳会談が東京で開かれた` as one token and finds `東京` only at a run's start. A
trigram index beside it holds the published developments whose text has CJK characters.
A query with a CJK term searches there: terms of three characters or more through the
trigram index, shorter ones (`東京`, `회담`; trigrams need three) by `instr` over the
indexed rows, which are only the CJK ones. A query without CJK never comes here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from storage.sqlite.database import Database, Row, Writer

# Hangul Jamo, kana, compatibility Jamo, CJK ideographs (ext. A and unified), Hangul
# syllables, compatibility ideographs, half-width katakana. Mirrors migration 003's GLOB.
CJK_CHARACTERS = (
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"
)
TRIGRAM = 3
_COLUMNS = ("title", "summary", "tags", "sources")


def has_cjk(*texts: str) -> bool:
    """Whether any text contains a Chinese, Japanese or Korean character."""
    # isascii() first: ~0.1 µs for the English text that most rows are, against ~8 µs
    # for the regex on a 600-character summary (it runs for every imported row).
    return any(not t.isascii() and _cjk().search(t) for t in texts)


@functools.cache
def _cjk() -> re.Pattern[str]:
    # Compiled when first needed: its ranges take ~2.5 ms to compile, a sixtieth of a
    # one-shot `briefbot brief`, which never meets a CJK text.
    return re.compile(CJK_CHARACTERS)


async def cjk_put(w: Writer, dev_id: int, columns: Sequence[str]) -> None:
    """(Re-)index one development: kept only when its text has CJK characters."""
    await cjk_drop(w, dev_id)
    if has_cjk(*columns):
        await w.execute(
            "INSERT INTO developments_cjk (rowid, title, summary, tags, sources) "
            "VALUES (?, ?, ?, ?, ?)",
            (dev_id, *columns),
        )


async def cjk_drop(w: Writer, dev_id: int) -> None:
    """Remove one development from the CJK index."""
    await w.execute("DELETE FROM developments_cjk WHERE rowid = ?", (dev_id,))


# Indexes many new developments at once: rows (rowid, title, summary, tags, sources) of
# those whose text `has_cjk` (bulk imports filter them in their helper process).
CJK_INSERT = (
    "INSERT INTO developments_cjk (rowid, title, summary, tags, sources) VALUES (?, ?, ?, ?, ?)"
)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _contains(term: str) -> tuple[str, list[str]]:
    """A condition true when any indexed column contains `term` (ASCII case folded)."""
    checks = " OR ".join(f"instr(lower(c.{col}), lower(?)) > 0" for col in _COLUMNS)
    return f"({checks})", [term] * len(_COLUMNS)


async def search_cjk(
    db: Database,
    terms: list[str],
    *,
    select: str,
    visible: str,
    visible_args: Sequence[Any],
    topic: str | None,
    limit: int,
    hits: tuple[str, str],
    any_term: bool,
    deadline: float | None = None,
) -> list[tuple[Row, str]]:
    """Rows (with a snippet) whose text contains every term (or, with any_term, one)."""
    long = [t for t in terms if len(t) >= TRIGRAM]
    short = [t for t in terms if len(t) < TRIGRAM]
    joiner = " OR " if any_term else " AND "
    conds: list[str] = []
    params: list[Any] = []
    # bm25 and snippet() need a MATCH: only when every term has one (AND) can they be used.
    ranked = bool(long) and (not short or not any_term)
    if long and ranked:
        conds.append("developments_cjk MATCH ?")
        params.append((" OR " if any_term else " ").join(_phrase(t) for t in long))
    else:
        short = terms
    for term in short:
        cond, values = _contains(term)
        conds.append(cond)
        params += values
    start, end = hits
    snippet = f"snippet(developments_cjk, -1, '{start}', '{end}', '…', 16)" if ranked else "NULL"
    sql = [
        # CROSS JOIN keeps the CJK rows (a small share) as the outer loop: the other way
        # round, every development would probe the CJK index by rowid.
        f"{select}, {snippet} AS snip FROM developments_cjk c "
        "CROSS JOIN developments d ON d.id = c.rowid",
        f"WHERE d.status = 'published' AND {visible} AND ({joiner.join(conds)})",
    ]
    args: list[Any] = [*visible_args, *params]
    if topic is not None:
        sql.append("AND d.id IN (SELECT development_id FROM development_topics WHERE topic = ?)")
        args.append(topic)
    # Unranked (substring) matches list the most recently added first, as broad English
    # searches do: the scan walks the CJK rows newest-first and stops at `limit`.
    order = "bm25(developments_cjk, 10.0, 1.0, 4.0, 2.0)" if ranked else "c.rowid DESC"
    sql.append(f"ORDER BY {order} LIMIT ?")
    args.append(limit)
    rows = await db.fetchall(" ".join(sql), args, deadline=deadline)
    return [(r, r["snip"] or make_snippet(r, terms, hits)) for r in rows]


def make_snippet(row: Row, terms: list[str], hits: tuple[str, str], width: int = 60) -> str:
    """A snippet around the first hit, for matches found without the index's `snippet()`."""
    for col in ("summary", "title"):
        text = str(row[col])
        lowered = text.lower()
        found = [(lowered.find(t.lower()), t) for t in terms if t.lower() in lowered]
        if not found:
            continue
        first = min(i for i, _ in found)
        left = max(0, first - width // 2)
        piece = text[left : left + width]
        for _, term in found:
            piece = re.sub(re.escape(term), lambda m: hits[0] + m[0] + hits[1], piece, flags=re.I)
        return ("…" if left else "") + piece + ("…" if left + width < len(text) else "")
    return str(row["summary"])[:width]
