"""Safe FTS5 MATCH expressions from arbitrary user text.

Raw user text in MATCH raises syntax errors (`korea AND`, `"x`, `-japan`, `foo:bar`), so
each whitespace-separated chunk becomes one quoted phrase with inner quotes doubled, and
chunks with no word character are dropped.

Prefix matching (`"kor"*` finds korea) is limited, because SQLite (3.40) answers a prefix
by merging the lists of every indexed word that starts with it before it returns a row:
`"s"*` merges a few thousand words (~0.4 s at 100,000 developments), twelve one-letter
prefixes took seconds. So a term of one character matches only the whole word, and at
most MAX_PREFIX_TERMS terms of a query are prefix-matched (the first ones); the others
match whole words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

MAX_QUERY_CHARS = 500
MAX_TERMS = 12
MIN_PREFIX_CHARS = 2
MAX_PREFIX_TERMS = 3
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


def prefixed(terms: list[str]) -> list[bool]:
    """Which terms are prefix-matched (see the module's docstring)."""
    chosen: list[bool] = []
    for term in terms:
        chosen.append(len(term) >= MIN_PREFIX_CHARS and sum(chosen) < MAX_PREFIX_TERMS)
    return chosen


def match_expression(
    terms: list[str],
    *,
    any_term: bool = False,
    prefix: bool = True,
    whole: Collection[str] = frozenset(),
) -> str:
    """An FTS5 expression: every term (or any term) as a quoted phrase, prefix-matched
    within the limits of `prefixed` (or, with `prefix=False`, matching whole words only).
    The terms in `whole`, which no longer indexed word begins with, are matched as whole
    words: the same rows, without merging the lists of every word with that prefix."""
    stars = prefixed(terms) if prefix else [False] * len(terms)
    phrases = [
        '"' + term.replace('"', '""') + '"' + ("*" if star and term not in whole else "")
        for term, star in zip(terms, stars, strict=True)
    ]
    return (" OR " if any_term else " ").join(phrases)
