"""Safe FTS5 MATCH expressions from arbitrary user text.

Raw user text in MATCH raises syntax errors (`korea AND`, `"x`, `-japan`, `foo:bar`), so
each whitespace-separated chunk becomes one quoted phrase with inner quotes doubled, and
chunks with no word character are dropped.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 500
MAX_TERMS = 12
_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def query_terms(text: str) -> list[str]:
    """The usable terms of a user's query, in order, without duplicates.

    NFKC folds full-width Latin and digits (`ｋｏｒｅａ`, typed with a Japanese input
    method) and half-width katakana to the forms stored text uses.
    """
    folded = unicodedata.normalize("NFKC", text[: MAX_QUERY_CHARS * 4])
    cleaned = _CONTROL.sub(" ", folded)[:MAX_QUERY_CHARS]
    terms: list[str] = []
    for chunk in cleaned.split():
        if _WORD.search(chunk) and chunk.lower() not in (t.lower() for t in terms):
            terms.append(chunk)
    return terms[:MAX_TERMS]


def match_expression(terms: list[str], *, any_term: bool = False, prefix: bool = True) -> str:
    """An FTS5 expression: every term (or any term) as a quoted phrase, prefix-matched
    (or, with `prefix=False`, matching whole words only)."""
    star = "*" if prefix else ""
    phrases = ['"' + term.replace('"', '""') + '"' + star for term in terms]
    return (" OR " if any_term else " ").join(phrases)
