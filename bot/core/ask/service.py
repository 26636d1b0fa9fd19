"""/ask: a free question answered from the catalogue, with the developments it rests on.

1. `understand` reads the question (period, places, glossary concepts, other words).
2. `gather` collects candidates through the storage search functions: the words, each
   key concept alone, within the question's topic, in the CJK index, and by period.
3. Every candidate is scored by the share of the question it covers: each concept or word
   weighs by how rare it is in the catalogue (a word in most rows says little), places by
   the development's countries, a period by its date.
4. The answer is the best development's sentence(s) that cover most of the question, as
   written. Too little covered: no answer (`confident` false) and a suggestion instead.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.core.ask.lexicon import Concept
from bot.core.ask.understand import (
    Question,
    clean,
    english_tokens,
    language_of,
    split_words,
    stem,
    understand,
    whole_words,
)
from bot.core.topics import Topic, get_topic
from bot.domain.clock import Clock, system_clock
from bot.domain.errors import InvalidInput
from bot.domain.models import Development
from bot.domain.scope import Scope
from bot.i18n import gettext as _
from storage import ask as ask_queries
from storage import catalogue as queries
from storage.contract import Db

if TYPE_CHECKING:
    from bot.core.ask.semantic import SemanticIndex

CITATIONS_MAX = 5
COUNTS_TTL = 600.0
COUNTS_MAX = 20_000
# A catalogue that grew or shrank by more than this share since a count was made (an
# import, a purge) is counted afresh.
COUNTS_DRIFT = 0.05
# The matches one ranked any-wording search may score: bm25 costs ~3 µs a match, so the
# rarest wordings go in until their counts reach this, and common ones are left to scoring.
RANKED_BUDGET = 3000
PLACE_WEIGHT = 0.3
RANK_BONUS = 0.05
CONFIDENT_COVERAGE = 0.6
CITED_COVERAGE = 0.45
RELATED_COVERAGE = 0.25
CITATIONS_MIN = 3
SEARCH_LIMIT = 20
CONCEPT_LIMIT = 10
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")
_HAS_WORD = re.compile(r"\w")
DOMAIN_TOPICS = ("security", "economy", "diplomacy", "society")


@dataclass(frozen=True)
class AnswerLine:
    """One sentence of the answer, as the development it comes from wrote it."""

    text: str
    development: Development


@dataclass(frozen=True)
class Answer:
    """The answer to a question: sentences (when confident) and the developments cited,
    best first; or, when nothing answers it, a topic to try instead."""

    question: str
    language: str
    confident: bool
    lines: tuple[AnswerLine, ...] = ()
    citations: tuple[Development, ...] = ()
    suggestion: Topic | None = None

    @property
    def text(self) -> str | None:
        """The answer as one string with each sentence's date and id (None when there is
        none)."""
        if not self.confident:
            return None
        return " ".join(
            f"{line.text} ({line.development.occurred.label()}, #{line.development.id})"
            for line in self.lines
        )

    def to_json(self) -> dict[str, Any]:
        """`{"answer", "confident", "citations": [{"id", "title", "date", "sources"}]}`."""
        return {
            "answer": self.text,
            "confident": self.confident,
            "citations": [
                {
                    "id": d.id,
                    "title": d.title,
                    "date": d.occurred.iso(),
                    "sources": [
                        {
                            "title": s.title,
                            "publisher": s.publisher,
                            "url": s.url,
                            "date": s.published_on or s.accessed_on,
                        }
                        for s in d.sources
                    ],
                }
                for d in self.citations
            ],
        }


# --- matching a development -----------------------------------------------------------------


@dataclass
class _Text:
    """A development's words, as the scoring reads them."""

    stems: frozenset[str]
    title_stems: frozenset[str]
    lowered: str
    countries: frozenset[str]

    @classmethod
    def of(cls, dev: Development) -> _Text:
        return _text_of(
            dev.title, dev.summary, " ".join(dev.tags), dev.why_it_matters or "", dev.countries
        )


@functools.lru_cache(maxsize=8192)
def _text_of(title: str, summary: str, tags: str, why: str, countries: tuple[str, ...]) -> _Text:
    """A development's words, remembered: the same developments answer many questions
    (keyed by their text, so an edit is read afresh)."""
    body = " ".join((title, summary, tags, why))
    return _Text(
        stems=frozenset(_stems(body)),
        title_stems=frozenset(_stems(title)),
        lowered=body.lower(),
        countries=frozenset(countries),
    )


def _stems(text: str) -> list[str]:
    return [stem(p) for t in english_tokens(text) for p in re.split(r"[-.'’$]", t) if p]


def _concept_in(concept: Concept, text: _Text, *, title: bool = False) -> bool:
    if concept.countries:
        # Places by the development's countries: its words name places all the time.
        return not title and concept.countries <= text.countries
    stems = text.title_stems if title else text.stems
    for form in concept.en:
        words = split_words(form)
        if words and all(w in stems for w in words):
            return True
    if not title and not text.lowered.isascii():
        return any(f.lower() in text.lowered for f in (*concept.ja, *concept.ko))
    return False


def _word_in(word: str, text: _Text) -> bool:
    if word.isascii():
        return word in text.stems
    return word.lower() in text.lowered


# --- weights ------------------------------------------------------------------------------


def rarity(share: float) -> float:
    """How much a term says, by the share of the catalogue that contains it."""
    if share < 0.005:
        return 1.0
    if share < 0.02:
        return 0.8
    if share < 0.08:
        return 0.55
    if share < 0.2:
        return 0.35
    return 0.2


@dataclass
class _Weights:
    concepts: dict[str, float] = field(default_factory=dict)
    words: dict[str, float] = field(default_factory=dict)
    period: float = 0.0
    #: How many developments contain each concept (by key) or word (capped).
    matches: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.concepts.values()) + sum(self.words.values()) + self.period


class Counts:
    """How common each wording is, remembered: the share of a word in the catalogue moves
    slowly, and counting a common one walks thousands of index entries. A count is made
    afresh after COUNTS_TTL seconds, or sooner when the catalogue's size has moved by more
    than COUNTS_DRIFT since (an import of thousands of developments changes every share;
    the size is read on every question anyway)."""

    def __init__(self, db: Db, ttl: float = COUNTS_TTL) -> None:
        self.db = db
        self.ttl = ttl
        self._known: dict[tuple[tuple[str, ...], ...], tuple[int, float]] = {}
        self._size = 0

    def sized(self, size: int) -> None:
        """The catalogue's size now: every count is forgotten when it moved too far."""
        if abs(size - self._size) > COUNTS_DRIFT * max(self._size, 1):
            self._known.clear()
            self._size = size

    async def count(self, wordings: tuple[tuple[str, ...], ...], *, prefix: bool) -> int:
        """Developments containing one of the wordings (capped; see `wording_count`)."""
        now = time.monotonic()
        key = (*wordings, ("*",) if prefix else ())
        known = self._known.get(key)
        if known is not None and known[1] > now:
            return known[0]
        if len(self._known) >= COUNTS_MAX:
            self._known.clear()
        found = await ask_queries.wording_count(self.db, wordings, prefix=prefix)
        self._known[key] = (found, now + self.ttl)
        return found


async def _weights(db: Db, q: Question, counts: Counts) -> _Weights:
    """Each term's weight: rare terms count most (a word in a fifth of the catalogue
    counts a fifth as much as one in a handful of rows)."""
    size = await ask_queries.indexed_count(db)
    counts.sized(size)
    total = max(size, 1)
    weights = _Weights(period=1.0 if q.period else 0.0)
    for concept in q.concepts:
        if concept.countries:
            weights.concepts[concept.key] = PLACE_WEIGHT
            continue
        # The glossary's wordings are the catalogue's own words: counted as whole words.
        count = await counts.count(tuple(whole_words(f) for f in concept.en), prefix=False)
        weights.concepts[concept.key] = rarity(count / total) if count else 1.0
        weights.matches[concept.key] = count
    for word in q.words:
        count = await counts.count(((word,),), prefix=True)
        weights.words[word] = rarity(count / total) if count else 1.0
        weights.matches[word] = count
    for word in q.cjk_words:
        # Not recognised by the glossary: possibly a word of the question's grammar, so it
        # weighs less than a recognised term.
        weights.words[word] = 0.6
    return weights


# --- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and the share of the question it covers."""

    development: Development
    score: float
    coverage: float
    subject: bool  # it matches at least one term that is not a place or a period


def _period_fits(q: Question, dev: Development, text: _Text) -> bool:
    period = q.period
    if period is None:
        return False
    if period.overlaps(dev.occurred.start, dev.occurred.end):
        return True
    # "the 2019 controls": a year the development's text names (only for whole years).
    whole_years = period.start.month == 1 and period.end.month == 12 and period.start.day == 1
    return whole_years and any(str(y) in text.lowered for y in period.years())


def score(q: Question, weights: _Weights, dev: Development, rank: int | None = None) -> Scored:
    """How well a development answers the question; `rank` is its best place in a search
    ranking (bm25 weighs how often and where the words occur), which breaks ties."""
    text = _Text.of(dev)
    got = 0.0
    subject = False
    has_subject = bool(q.subject_concepts or q.words or q.cjk_words)
    for concept in q.concepts:
        w = weights.concepts.get(concept.key, 0.0)
        if _concept_in(concept, text):
            got += w
            subject = subject or not concept.countries
            if _concept_in(concept, text, title=True):
                got += 0.25 * w
    for word, w in weights.words.items():
        if _word_in(word, text):
            got += w
            subject = True
            if word in text.title_stems:
                got += 0.25 * w
    if weights.period and _period_fits(q, dev, text):
        got += weights.period
    total = weights.total or 1.0
    coverage = min(got / total, 1.0)
    tie_break = 0.01 * dev.importance + (RANK_BONUS / (1 + rank) if rank is not None else 0.0)
    return Scored(dev, got / total + tie_break, coverage, subject or not has_subject)


# --- gathering candidates -------------------------------------------------------------------


def topic_for(countries: frozenset[str]) -> str | None:
    """The topic a question's places point to (`日韓` → japan-korea), if any."""
    if {"US", "JP", "KR"} <= countries:
        return "trilateral"
    for pair in ("japan-korea", "us-japan", "us-korea"):
        if get_topic(pair).countries <= countries:
            return pair
    for code, slug in (("KP", "north-korea"), ("CN", "china"), ("RU", "russia")):
        if code in countries:
            return slug
    return None


def _cjk_words(q: Question) -> list[str]:
    """Words for the CJK index: the question's own wording of each concept it names,
    and its unrecognised words."""
    found: list[str] = []
    for concept in q.subject_concepts:
        native = concept.ja if q.language == "ja" else concept.ko if q.language == "ko" else ()
        found += [f for f in native[:1] if not f.isascii()]
    return list(dict.fromkeys([*found, *q.cjk_words]))


@dataclass
class Candidates:
    """Developments found, with the best place each had in a ranked search."""

    found: dict[int, Development] = field(default_factory=dict)
    ranks: dict[int, int] = field(default_factory=dict)

    def keep(self, devs: Iterable[Development], *, ranked: bool) -> None:
        """Add developments (in ranked order when `ranked`)."""
        for rank, dev in enumerate(devs):
            self.found.setdefault(dev.id, dev)
            if ranked:
                self.ranks[dev.id] = min(rank, self.ranks.get(dev.id, rank))


def ranked_terms(q: Question, weights: _Weights) -> tuple[list[ask_queries.Term], list[str]]:
    """The question's wordings for one ranked any-wording search, rarest first while their
    matches fit RANKED_BUDGET (each concept by all its English wordings as whole words,
    each other word as a prefix), and the words left out as too common."""
    found: list[tuple[int, list[ask_queries.Term]]] = []
    for concept in q.subject_concepts:
        wordings = [whole_words(f) for f in concept.en]
        found.append((weights.matches.get(concept.key, 0), [(w, False) for w in wordings if w]))
    for word in q.words:
        if word.isascii():
            found.append((weights.matches.get(word, 0), [((word,), True)]))
    found.sort(key=lambda item: item[0])
    terms: list[ask_queries.Term] = []
    common: list[str] = []
    spent = 0
    for matches, term in found:
        if matches < ask_queries.COUNT_CAP and spent + matches <= RANKED_BUDGET:
            terms += term
            spent += matches
        else:
            common += [w for wording, _prefix in term[:1] for w in wording]
    return terms, common


async def gather(db: Db, q: Question, weights: _Weights, scope: Scope | None) -> Candidates:
    """Candidates: one ranked search for any of the question's rarer wordings (a common
    word matches too many rows to rank, and says little: it is weighed in scoring), the
    catalogue search for the common words when no rare one found anything, the CJK index
    for the question's own Japanese or Korean wording, and the question's period."""
    found = Candidates()

    async def search(text: str, topic: str | None = None, limit: int = SEARCH_LIMIT) -> None:
        if text.strip():
            hits = await queries.search(db, text, scope, topic=topic, limit=limit)
            found.keep((d for d, _ in hits), ranked=True)

    # Within the question's topic when it names places: the places are scored by the
    # development's countries anyway, and the topic's rows are the ones that can have them.
    topic = topic_for(q.countries)
    terms, common = ranked_terms(q, weights)
    if terms:
        found.keep(
            await ask_queries.search_any(db, terms, scope, topic=topic, limit=SEARCH_LIMIT),
            ranked=True,
        )
    if not found.found and common:
        # The catalogue search keeps a query of common words cheap (all words first,
        # newest first when too many rows match).
        await search(" ".join(dict.fromkeys(common)), topic)
    cjk = _cjk_words(q)
    if cjk:
        await search(" ".join(cjk), limit=CONCEPT_LIMIT)
    if q.period is not None or (topic is not None and not terms and not common and not cjk):
        period = q.period
        since = period.start if period else None
        until = period.end if period else None
        for slug in (topic,) if topic else DOMAIN_TOPICS:
            assert slug is not None
            found.keep(
                await queries.select_topic(
                    db, slug, scope, since=since, until=until, limit=SEARCH_LIMIT
                ),
                ranked=False,
            )
    return found


# --- the answer ---------------------------------------------------------------------------


def sentences(dev: Development) -> list[str]:
    """A development's summary in sentences (its title when it has no summary)."""
    parts = [s.strip() for s in _SENTENCE.split(dev.summary) if s.strip()]
    return parts or [dev.title]


def best_sentence(q: Question, weights: _Weights, dev: Development) -> tuple[str, float]:
    """The sentence of a development that covers most of the question, and how much."""
    best, best_score = sentences(dev)[0], -1.0
    for sentence in sentences(dev):
        text = _Text(
            stems=frozenset(_stems(sentence)),
            title_stems=frozenset(),
            lowered=sentence.lower(),
            countries=frozenset(),
        )
        got = sum(weights.concepts.get(c.key, 0.0) for c in q.concepts if _concept_in(c, text))
        got += sum(w for word, w in weights.words.items() if _word_in(word, text))
        if got > best_score:
            best, best_score = sentence, got
    return best, best_score


def compose(q: Question, weights: _Weights, ranked: Sequence[Scored]) -> Answer:
    """The answer from ranked candidates: confident only when the best covers enough."""
    topic = topic_for(q.countries)
    suggestion = get_topic(topic) if topic else None
    if not ranked or q.is_empty:
        return Answer(q.text, q.language, False, suggestion=suggestion)
    top = ranked[0]
    if top.coverage < CONFIDENT_COVERAGE or not top.subject:
        return Answer(q.text, q.language, False, suggestion=suggestion)
    cited = [s for s in ranked if s.coverage >= CITED_COVERAGE and s.subject][:CITATIONS_MAX]
    if len(cited) < CITATIONS_MIN:
        # Too few developments answer it fully: the closest others give the context.
        related = [
            s for s in ranked if s not in cited and s.subject and s.coverage >= RELATED_COVERAGE
        ]
        cited += related[: CITATIONS_MIN - len(cited)]
    first, _score = best_sentence(q, weights, top.development)
    lines = [AnswerLine(first, top.development)]
    if len(cited) > 1 and cited[1].coverage >= 0.9 * top.coverage:
        # A second development about as relevant adds its own best sentence.
        second, _ = best_sentence(q, weights, cited[1].development)
        lines.append(AnswerLine(second, cited[1].development))
    return Answer(
        q.text,
        q.language,
        True,
        lines=tuple(lines),
        citations=tuple(s.development for s in cited),
        suggestion=suggestion,
    )


def fuse(lexical: Sequence[int], semantic: Sequence[int], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion of two rankings: 1/(k + rank) summed over both."""
    fused: dict[int, float] = {}
    for ranking in (lexical, semantic):
        for rank, dev_id in enumerate(ranking, start=1):
            fused[dev_id] = fused.get(dev_id, 0.0) + 1.0 / (k + rank)
    return fused


def check_question(text: str) -> str:
    """The question, cleaned; `InvalidInput` when it has no word or number."""
    cleaned = clean(text)
    if not _HAS_WORD.search(cleaned):
        raise InvalidInput("question", _("type a question in words (up to 500 characters)"))
    return cleaned


def question_language(text: str) -> str | None:
    """`ja` or `ko` for a question written in that script (the bot then answers in it),
    else None (the reader's own language)."""
    language = language_of(clean(text))
    return None if language == "en" else language


class Asker:
    """Answers questions from what a scope can see."""

    def __init__(
        self, db: Db, clock: Clock = system_clock, semantic: SemanticIndex | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.semantic = semantic
        self.counts = Counts(db)

    def today(self) -> date:
        """The day relative periods (`last month`) count from."""
        return self.clock().date()

    async def ask(self, text: str, scope: Scope | None) -> Answer:
        """The answer to `text` from the developments `scope` can see."""
        q = understand(check_question(text), self.today())
        if q.is_empty:
            return compose(q, _Weights(), [])
        # The embedding and the vector search run in worker threads: started first, they
        # overlap the full-text queries (the database works in a thread of its own too).
        near_task = (
            asyncio.create_task(self.semantic.nearest(self.db, q.text, scope))
            if self.semantic is not None
            else None
        )
        try:
            weights = await _weights(self.db, q, self.counts)
            found = await gather(self.db, q, weights, scope)
        except BaseException:
            if near_task is not None:
                near_task.cancel()
            raise
        scored = sorted(
            (score(q, weights, d, found.ranks.get(d.id)) for d in found.found.values()),
            key=lambda s: (-s.score, -s.development.occurred.start.toordinal()),
        )
        if near_task is not None:
            scored = self._fused(q, weights, scored, await near_task)
        return compose(q, weights, scored)

    def _fused(
        self,
        q: Question,
        weights: _Weights,
        lexical: list[Scored],
        near: list[tuple[Development, float]],
    ) -> list[Scored]:
        """The lexical ranking fused with the semantic one (reciprocal-rank fusion); the
        coverage of each stays the lexical one, plus the semantic similarity's evidence."""
        by_id = {s.development.id: s for s in lexical}
        for dev, similarity in near:
            if dev.id not in by_id:
                by_id[dev.id] = score(q, weights, dev)
            by_id[dev.id] = _with_similarity(by_id[dev.id], similarity)
        fused = fuse([s.development.id for s in lexical], [d.id for d, _ in near])
        return sorted(
            by_id.values(), key=lambda s: -(fused.get(s.development.id, 0.0) + s.coverage + s.score)
        )


SIMILAR = 0.35  # cosine of USE multilingual v3: related ~0.35–0.6, unrelated ~0.1


def _with_similarity(scored: Scored, similarity: float) -> Scored:
    """A close meaning is evidence too: for a development that shares at least one of the
    question's subjects, a similarity of SIMILAR or more covers the question as well as
    the confident share of its words would. Meaning alone never answers: among thousands
    of rows some are always about as close as the right one."""
    if not scored.subject:
        return scored
    lifted = max(scored.coverage, min(1.0, (similarity - 0.2) / 0.25))
    return Scored(scored.development, scored.score, lifted, scored.subject)
