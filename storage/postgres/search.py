"""Search on PostgreSQL, answering as SQLite's FTS5 search does for the same data.

`development_search` (migration 001) holds one row per published development: `document`, a
tsvector of the same four texts SQLite's `developments_fts` gets (title A, summary B, tags C,
sources D), and `bigrams`, every two-character run of those texts, lower-cased, for the
developments whose text has Chinese, Japanese or Korean characters (SQLite's
`developments_cjk` rows); both have GIN indexes.

The tsvector is built here, not by `to_tsvector`: PostgreSQL's parser is not FTS5's
`unicode61` tokenizer (it keeps `north-korea`, URLs, e-mail addresses and decimals as whole
tokens, and keeps diacritics), so a word would be found on one backend and not the other.
Words are cut and folded the way `unicode61 remove_diacritics 2` does, and queries are
made of the same words: tsquery text is built from those words, quoted, never from user text.

What is shared with SQLite: the term parsing and prefix limits (`storage.search_query`),
BROAD_MATCHES and its newest-first rule with the same probes, the any-term fallback, the
CJK rules (which terms are ranked, newest first otherwise), snippets marked with
HIT_START/HIT_END and the time budget. What differs: ts_rank_cd is not bm25, so the order of
ranked matches can differ (the weights are SQLite's 10/1/4/2, scaled to PostgreSQL's 0..1),
and ranked CJK matches are ordered by where the terms occur (title, tags, summary).
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, cast

from bot.domain.errors import QueryTooBroad
from bot.domain.models import Development, DevelopmentDraft, Source
from bot.domain.scope import Scope
from storage import catalogue
from storage.catalogue import (
    _SELECT,
    HIT_END,
    HIT_START,
    VISIBLE,
    _fts_sources_text,
    _source_from_row,
    _to_development,
)
from storage.filters import visible_params
from storage.postgres.database import PostgresDatabase, PostgresWriter
from storage.search_query import prefixed, query_terms
from storage.sqlite.cjk_search import CJK_CHARACTERS, TRIGRAM, has_cjk, make_snippet
from storage.sqlite.database import Row

# unicode61's token characters are the Unicode categories L*, N* and Co; `[^\W_]` is
# Python's letters and digits, and U+E000–U+F8FF the (BMP) private use area.
_TOKEN = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff])+")
# The same tokens in a lower-cased ASCII text (nearly every text of an English catalogue):
# 2.7× as fast as _TOKEN, whose alternation is tried at every character.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
# ts_rank_cd's weights, in the order {D, C, B, A}: sources 2, tags 4, summary 1, title 10
# (bm25's column weights in SQLite's search), divided by 10.
_RANK_WEIGHTS = "{0.2, 0.4, 0.1, 1.0}"
# Normalisation 2 divides by the document's length, as bm25 favours shorter documents: of
# the 33 ranked queries in tests/storage/postgres/test_search.py, 24 list their matches in
# bm25's order with it (19 with 1 + log(length), 13 without).
_RANK = f"ts_rank_cd('{_RANK_WEIGHTS}', s.document, CAST(? AS tsquery), 2)"
_WEIGHTS = "ABCD"  # title, summary, tags, sources
_MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
_MAX_LEXEME_BYTES = 2046  # and its longest lexeme (2 KiB), less one
_SNIPPET_TOKENS = 16  # as SQLite's snippet(…, 16)


# --- words ---------------------------------------------------------------------------------


def _is_latin(ch: str) -> bool:
    code = ord(ch)
    return code < 0x0250 or 0x1E00 <= code <= 0x1EFF


def fold(token: str) -> str:
    """A token as unicode61 (remove_diacritics 2) indexes it: lower-cased, without the
    diacritics of Latin letters."""
    lowered = token.lower()
    if lowered.isascii():
        return lowered
    out: list[str] = []
    for ch in lowered:
        parts = unicodedata.normalize("NFD", ch)
        if len(parts) > 1 and _is_latin(parts[0]):
            out.append(parts[0] + "".join(p for p in parts[1:] if not unicodedata.combining(p)))
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def words(text: str) -> list[str]:
    """The folded words of a text, in order, as SQLite's word index cuts them."""
    return [fold(m[0]) for m in _TOKEN.finditer(text)]


_NEEDS_QUOTING = re.compile(r"['\\]")
# Positions as tsvector text ("17B"), made once: formatting an int per word was a sixth of
# an import's search documents.
_SHORT_DOCUMENT = 1024
_POSITION_TEXT = {w: [f"{p}{w}" for p in range(_SHORT_DOCUMENT)] for w in _WEIGHTS}
_SHORT_WORD = _MAX_LEXEME_BYTES // 4  # a character is at most 4 bytes


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _column_words(text: str) -> list[str]:
    # An ASCII text is lower-cased once and cut with findall: the same words as `words`,
    # without a match object and a fold per word (an import indexes ~110 words a record).
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
    return [fold(token) for token in _TOKEN.findall(text)]


def document(columns: Sequence[str]) -> str:
    """The tsvector (as text) of the four search columns, weighted title A … sources D.

    Positions run on through the columns with a gap between them, so that a phrase cannot
    match across two columns (FTS5 phrases do not)."""
    # Each word's positions as text from the start ("1A,5A"): an import indexes ~110 words
    # a record, and building lists to join later costs a fifth more.
    positions: dict[str, str] = {}
    get = positions.get
    position = 0
    for weight, text in zip(_WEIGHTS, columns, strict=True):
        column = _column_words(text)
        end = position + len(column)
        if end < _SHORT_DOCUMENT and (len(text) <= _SHORT_WORD or _all_short(column)):
            texts = _POSITION_TEXT[weight]
            for here, word in enumerate(column, position + 1):
                entry = get(word)
                positions[word] = texts[here] if entry is None else f"{entry},{texts[here]}"
            position = end + 1
        else:
            position = _add_long_column(positions, column, weight, position) + 1
    if _NEEDS_QUOTING.search("".join(positions)):
        return " ".join([f"{_quoted(w)}:{p}" for w, p in positions.items()])
    return " ".join([f"'{w}':{p}" for w, p in positions.items()])


def _all_short(column: list[str]) -> bool:
    return max(map(len, column), default=0) <= _SHORT_WORD


def _add_long_column(positions: dict[str, str], column: list[str], weight: str, at: int) -> int:
    """`document`'s rule for a long text: positions stop at PostgreSQL's largest, and a word
    longer than its longest lexeme is left out (its position still counts)."""
    for word in column:
        at = at + 1 if at < _MAX_POSITION else _MAX_POSITION
        if len(word) <= _SHORT_WORD or len(word.encode()) <= _MAX_LEXEME_BYTES:
            entry = positions.get(word)
            here = f"{at}{weight}"
            positions[word] = here if entry is None else f"{entry},{here}"
    return at


def _bigrams_of(text: str) -> set[str]:
    lowered = text.lower()
    # A query term never holds white space (terms are split on it), so neither do its pairs.
    return {
        lowered[i : i + 2]
        for i in range(len(lowered) - 1)
        if not lowered[i].isspace() and not lowered[i + 1].isspace()
    }


def bigrams(columns: Sequence[str]) -> list[str]:
    """Every two-character run of the texts, lower-cased, when they have CJK characters
    (the rows SQLite's CJK index holds); otherwise none."""
    if not has_cjk(*columns):
        return []
    found: set[str] = set()
    for text in columns:
        found |= _bigrams_of(text)
    return sorted(found)


def search_columns(draft: DevelopmentDraft) -> tuple[str, str, str, str]:
    """The four texts a development is indexed by: exactly those SQLite's `fts_put` writes."""
    return (draft.title, draft.summary, " ".join(draft.tags), _fts_sources_text(draft.sources))


# --- writing -------------------------------------------------------------------------------


async def search_put(w: PostgresWriter, dev_id: int, draft: DevelopmentDraft) -> None:
    """Index (or re-index) one development for search."""
    columns = search_columns(draft)
    await w.execute(
        "INSERT INTO development_search (development_id, document, bigrams) "
        "VALUES (?, CAST(? AS tsvector), CAST(? AS text[])) "
        "ON CONFLICT (development_id) DO UPDATE "
        "SET document = excluded.document, bigrams = excluded.bigrams",
        (dev_id, document(columns), bigrams(columns)),
    )


async def search_delete(w: PostgresWriter, dev_ids: Sequence[int]) -> None:
    """Remove developments from the search index (retracted, or an import undone)."""
    await w.execute(
        "DELETE FROM development_search WHERE development_id = ANY(CAST(? AS bigint[]))",
        (list(dev_ids),),
    )


# --- queries -------------------------------------------------------------------------------


def tsquery(terms: list[str], *, any_term: bool = False, prefix: bool = True) -> str | None:
    """SQLite's `match_expression` as tsquery text: each term a phrase of its words, the
    last prefix-matched within the same limits; None when no term has a word."""
    stars = prefixed(terms) if prefix else [False] * len(terms)
    phrases = []
    for term, star in zip(terms, stars, strict=True):
        lexemes = [_quoted(w) for w in words(term)]
        if not lexemes:
            continue
        if star:
            lexemes[-1] += ":*"
        phrases.append("(" + " <-> ".join(lexemes) + ")")
    return (" | " if any_term else " & ").join(phrases) or None


def _deadline() -> float:
    # Read at each search, so that the budget is the one catalogue's search has.
    return asyncio.get_running_loop().time() + catalogue.SEARCH_BUDGET_S


async def fetch_within(
    db: PostgresDatabase, sql: str, params: Sequence[Any], deadline: float
) -> list[Row]:
    """Run a read, stopped (and the server told to cancel it) at `deadline`: QueryTooBroad."""
    remaining = deadline - asyncio.get_running_loop().time()
    if remaining <= 0:
        raise QueryTooBroad()
    try:
        rows = await asyncio.wait_for(db.fetchall(sql, params), remaining)
    except TimeoutError:
        raise QueryTooBroad() from None
    # asyncpg's records are read by column name as sqlite3.Row is.
    return cast(list[Row], rows)


async def _at_least_broad(db: PostgresDatabase, query: str, deadline: float) -> bool:
    rows = await fetch_within(
        db,
        "SELECT 1 FROM development_search WHERE document @@ CAST(? AS tsquery) LIMIT 1 OFFSET ?",
        (query, catalogue.BROAD_MATCHES - 1),
        deadline,
    )
    return bool(rows)


async def _broad_query(
    db: PostgresDatabase, terms: list[str], *, any_term: bool, deadline: float
) -> str | None:
    """As SQLite's `_broad_expression`: the query to list newest first when at least
    BROAD_MATCHES rows match (whole words when those are that common, else prefixes)."""
    whole = tsquery(terms, any_term=any_term, prefix=False)
    if whole is None:
        return None
    if await _at_least_broad(db, whole, deadline):
        return whole
    expression = tsquery(terms, any_term=any_term)
    if (
        expression is not None
        and expression != whole
        and await _at_least_broad(db, expression, deadline)
    ):
        return expression
    return None


async def _with_sources(db: PostgresDatabase, rows: Sequence[Row]) -> list[Development]:
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows]
    by_dev: dict[int, list[Source]] = {i: [] for i in ids}
    for s in await db.fetchall(
        "SELECT * FROM sources WHERE development_id = ANY(CAST(? AS bigint[])) "
        "ORDER BY development_id, position",
        (ids,),
    ):
        by_dev[s["development_id"]].append(_source_from_row(cast(Row, s)))
    return [_to_development(r, by_dev[int(r["id"])]) for r in rows]


async def search(
    db: PostgresDatabase,
    text: str,
    scope: Scope | None,
    *,
    topic: str | None = None,
    limit: int = 10,
) -> list[tuple[Development, str]]:
    """Best matches first, each with a snippet whose hits are wrapped in HIT_START/HIT_END
    (the rules of `storage.catalogue.search`, on PostgreSQL)."""
    terms = query_terms(text)
    if not terms:
        return []
    deadline = _deadline()
    if has_cjk(*terms):
        return await _search_cjk(db, terms, scope, topic=topic, limit=limit, deadline=deadline)
    for any_term in (False, True):
        if any_term and len(terms) == 1:
            break
        query = tsquery(terms, any_term=any_term)
        if query is None:
            return []
        broad = await _broad_query(db, terms, any_term=any_term, deadline=deadline)
        sql = [
            f"{_SELECT} FROM development_search s JOIN developments d ON d.id = s.development_id",
            f"WHERE s.document @@ CAST(? AS tsquery) AND d.status = 'published' AND {VISIBLE}",
        ]
        params: list[Any] = [broad or query, *visible_params(scope)]
        if topic is not None:
            sql.append(
                "AND d.id IN (SELECT development_id FROM development_topics WHERE topic = ?)"
            )
            params.append(topic)
        if broad:
            sql.append("ORDER BY d.id DESC LIMIT ?")
        else:
            sql.append(f"ORDER BY {_RANK} DESC, d.id DESC LIMIT ?")
            params.append(query)
        params.append(limit)
        rows = await fetch_within(db, " ".join(sql), params, deadline)
        if rows:
            devs = await _with_sources(db, rows)
            whole = tsquery(terms, any_term=any_term, prefix=False)
            matcher = _matcher(terms, broad is not None and broad == whole)
            return [(dev, word_snippet(dev, matcher)) for dev in devs]
    return []


# --- CJK -----------------------------------------------------------------------------------


def _in_sources(row: str, term: str) -> str:
    """Whether one term is in one of a source's texts (three `?`): checked only for the rows
    whose own columns do not hold it (an index lookup a row, the costliest part)."""
    checks = " OR ".join(
        _holds(column, term)
        for column in ("x.title", "COALESCE(x.publisher, '')", "COALESCE(x.url, '')")
    )
    return f"EXISTS (SELECT 1 FROM sources x WHERE x.development_id = {row}.id AND ({checks}))"


# A term made only of CJK characters (no letter of them has a case, and lower() turns no
# other character into one of them) is in lower(text) exactly when it is in the text.
_CASELESS = re.compile(f"{CJK_CHARACTERS}+")


def _holds(column: str, term: str) -> str:
    """True when the column holds the term (one `?`), as `strpos(lower(…), lower(?))`:
    without lower() for a CJK term, which would fold every matching row's text for nothing
    (a third of a common term's search)."""
    if _CASELESS.fullmatch(term):
        return f"strpos({column}, ?) > 0"
    return f"strpos(lower({column}), lower(?)) > 0"


_FROM = "FROM development_search s JOIN developments d ON d.id = s.development_id"


def _term_bigrams(term: str) -> list[str]:
    return sorted(_bigrams_of(term))


async def _search_cjk(
    db: PostgresDatabase,
    terms: list[str],
    scope: Scope | None,
    *,
    topic: str | None,
    limit: int,
    deadline: float,
) -> list[tuple[Development, str]]:
    """Substring search over the developments with CJK text: every term, then any term."""
    for any_term in (False, True):
        if any_term and len(terms) == 1:
            break
        rows = await _cjk_rows(db, terms, scope, topic, limit, any_term, deadline)
        if rows:
            devs = await _with_sources(db, rows)
            hits = (HIT_START, HIT_END)
            return [
                (dev, make_snippet(row, terms, hits)) for dev, row in zip(devs, rows, strict=True)
            ]
    return []


async def _cjk_rows(
    db: PostgresDatabase,
    terms: list[str],
    scope: Scope | None,
    topic: str | None,
    limit: int,
    any_term: bool,
    deadline: float,
) -> list[Row]:
    """Rows found through the bigram index, confirmed by substring (ASCII case folded as
    SQLite's `instr(lower(…))`; PostgreSQL's lower() folds the rest too)."""
    long = [t for t in terms if len(t) >= TRIGRAM]
    short = [t for t in terms if len(t) < TRIGRAM]
    # SQLite ranks only when every term goes through its trigram index; the others are
    # listed newest first. The same queries are ranked (or not) here.
    ranked = bool(long) and (not short or not any_term)
    index_conds: list[str] = []
    index_params: list[Any] = []
    indexed = [t for t in terms if len(t) >= 2]
    if any_term:
        if len(indexed) == len(terms):
            index_conds.append(
                "(" + " OR ".join("s.bigrams @> CAST(? AS text[])" for _ in indexed) + ")"
            )
            index_params += [_term_bigrams(t) for t in indexed]
    elif indexed:
        index_conds.append("s.bigrams @> CAST(? AS text[])")
        index_params.append(sorted({p for t in indexed for p in _term_bigrams(t)}))
    # A CJK row is one with bigrams; a containment of a term's (never empty) bigrams says
    # so already, and `<> '{}'` would read every candidate's array (a third of the time).
    where = [
        "WHERE " + (" AND ".join(index_conds) if index_conds else "s.bigrams <> '{}'"),
        f"AND d.status = 'published' AND {VISIBLE}",
    ]
    where_params: list[Any] = [*index_params, *visible_params(scope)]
    if topic is not None:
        where.append("AND d.id IN (SELECT development_id FROM development_topics WHERE topic = ?)")
        where_params.append(topic)
    joiner = " OR " if any_term else " AND "
    source_params = [t for t in terms for _ in range(3)]
    if not ranked:
        # Flat, so that the planner may walk the newest rows first and stop at `limit`.
        found = joiner.join(
            f"({_holds('d.title', t)} OR {_holds('d.summary', t)} OR {_holds('d.tags', t)} "
            f"OR {_in_sources('d', t)})"
            for t in terms
        )
        sql = " ".join([f"{_SELECT} {_FROM}", *where, f"AND ({found}) ORDER BY d.id DESC LIMIT ?"])
        found_params = [p for t in terms for p in ([t] * 3 + [t] * 3)]
        return await fetch_within(db, sql, [*where_params, *found_params, limit], deadline)
    # Which of the development's own columns hold each term, computed once a row (OFFSET 0
    # keeps the planner from copying the expressions into both the filter and the order).
    flags = ", ".join(
        f"{_holds('d.title', t)} AS t{i}, {_holds('d.summary', t)} AS s{i}, "
        f"{_holds('d.tags', t)} AS g{i}"
        for i, t in enumerate(terms)
    )
    found = joiner.join(
        f"(t{i} OR s{i} OR g{i} OR {_in_sources('q', t)})" for i, t in enumerate(terms)
    )
    # Where the terms are, weighted as bm25 weighs the columns (title 10, tags 4, summary 1);
    # sources are not scored: looking them up for every match would double the cost of a
    # common term, for a weight of 2.
    score = " + ".join(f"10 * t{i}::int + s{i}::int + 4 * g{i}::int" for i in range(len(terms)))
    sql = (
        f"SELECT q.* FROM ({_SELECT}, {flags} {_FROM} {' '.join(where)} OFFSET 0) q "
        f"WHERE {found} ORDER BY {score} DESC, q.id DESC LIMIT ?"
    )
    params = [t for t in terms for _ in range(3)] + where_params + source_params + [limit]
    return await fetch_within(db, sql, params, deadline)


# --- snippets ------------------------------------------------------------------------------


def _matcher(terms: list[str], whole_words: bool) -> list[tuple[str, bool]]:
    """The words a snippet marks: (word, prefix-matched)."""
    stars = [False] * len(terms) if whole_words else prefixed(terms)
    marks: list[tuple[str, bool]] = []
    for term, star in zip(terms, stars, strict=True):
        found = words(term)
        marks += [(w, star and i == len(found) - 1) for i, w in enumerate(found)]
    return marks


def _hit(word: str, marks: list[tuple[str, bool]]) -> int | None:
    for i, (mark, prefix) in enumerate(marks):
        if word == mark or (prefix and word.startswith(mark)):
            return i
    return None


def word_snippet(dev: Development, marks: list[tuple[str, bool]]) -> str:
    """A snippet as SQLite's snippet(…, 16) gives: the column with the most different query
    words (the first such), at most 16 words of it where the most hits are, hits marked."""
    columns = (dev.title, dev.summary, " ".join(dev.tags), _fts_sources_text(dev.sources))
    best: tuple[int, str, list[re.Match[str]], list[int | None]] | None = None
    for text in columns:
        tokens = list(_TOKEN.finditer(text))
        hits = [_hit(fold(m[0]), marks) for m in tokens]
        distinct = len({h for h in hits if h is not None})
        if best is None or distinct > best[0]:
            best = (distinct, text, tokens, hits)
    assert best is not None
    _, text, tokens, hits = best
    if not tokens:
        return text
    width = _SNIPPET_TOKENS
    start = max(
        range(max(1, len(tokens) - width + 1)),
        key=lambda i: (sum(h is not None for h in hits[i : i + width]), -i),
    )
    end = min(len(tokens), start + width)
    out: list[str] = ["…" if start else ""]
    cursor = tokens[start].start() if start else 0
    for token, hit in zip(tokens[start:end], hits[start:end], strict=True):
        out.append(text[cursor : token.start()])
        out.append(f"{HIT_START}{token[0]}{HIT_END}" if hit is not None else token[0])
        cursor = token.end()
    if end < len(tokens):
        out.append("…")
    else:
        out.append(text[cursor:])
    return "".join(out)
