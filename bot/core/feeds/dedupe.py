"""Near-duplicate stories: the same news told by two publishers with different words.

A title becomes a set of content words with country names (and capitals, and metonyms such
as "Kremlin") folded to codes, spelling
variants unified and light stemming ("drills" = "drill", "defence" = "defense"). Two titles
are the same story when they name the same tracked countries (or one set contains the
other), share at least three content words and their word sets overlap by `THRESHOLD`
(Jaccard), within `WINDOW_DAYS` of each other.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from bot.core.feeds.classify import countries_in
from bot.domain.scope import Scope

THRESHOLD = 0.55
MIN_SHARED = 3
WINDOW_DAYS = 10

# Hyphens split ("12-year" = "12 year", "Jae-myung" = "Jae myung"); dots join ("u.s").
_WORD = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")
_FOLD = (
    # Capitals and seats of power stand for their countries in headlines ("Seoul,
    # Washington, Tokyo condemn launch"): folded like the names, so they match them.
    (re.compile(r"\bseoul\b|\bblue house\b|\byongsan\b"), " kr "),
    (re.compile(r"\btokyo\b|\bkantei\b|\bnagatacho\b"), " jp "),
    (re.compile(r"\bwashington\b|\bwhite house\b"), " us "),
    (re.compile(r"\bpyongyang\b"), " kp "),
    (re.compile(r"\bbeijing\b|\bzhongnanhai\b"), " cn "),
    (re.compile(r"\bmoscow\b|\bkremlin\b"), " ru "),
    (re.compile(r"\bs\.\s?korea(?:n|ns)?\b|\bsouth korea(?:n|ns)?\b|\brok\b"), " kr "),
    (re.compile(r"\bn\.\s?korea(?:n|ns)?\b|\bnorth korea(?:n|ns)?\b|\bdprk\b"), " kp "),
    (re.compile(r"\bu\.\s?s\.(?:a\.)?|\bunited states\b|\bamerican?s?\b|\busa?\b"), " us "),
    (re.compile(r"\bjapan(?:ese)?\b"), " jp "),
    (re.compile(r"\bchin(?:a|ese)\b"), " cn "),
    (re.compile(r"\brussian?s?\b"), " ru "),
    (re.compile(r"\bkorea(?:n|ns)?\b"), " kr "),
)
_SPELLING = {
    "defence": "defense",
    "programme": "program",
    "organisation": "organization",
    # Headline synonyms: one event, two desks' verbs.
    "start": "begin",
    "starts": "begin",
    "begins": "begin",
    "exercise": "drill",
    "exercises": "drill",
    "stage": "hold",
    "stages": "hold",
    "holds": "hold",
}
_STOP_WORDS = (
    "a an the and or of to in on at for with by from as is are was were be been will would "
    "could should may might can its it this that these those over after before amid into "
    "about against between during new says said say report reports reported via per "
    "than more most also not no yes his her their our we you they he she who what when "
    "where why how out off again further then once here there all any both each "
    "few other some such only own same so too very just s t kr kp us jp cn ru"
)
_STOP = frozenset(_STOP_WORDS.split(" "))


def _stem(word: str) -> str:
    word = _SPELLING.get(word, word)
    if len(word) <= 4:
        return word
    if word.endswith("ation"):  # cooperation = cooperate
        return word[:-3] + "e"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    if word.endswith("ing") and len(word) > 6:
        return word[:-3]
    return word


def title_words(title: str) -> tuple[str, ...]:
    """The distinct content words of a title, folded and stemmed (country names removed)."""
    text = title.lower().replace("’", "'")
    for pattern, code in _FOLD:
        text = pattern.sub(code, text)
    # Interned: 100,000 titles share a few thousand words, once each in memory; a tuple
    # costs a third of a frozenset, and sets are made only for the few compared.
    words = (sys.intern(_stem(w)) for w in _WORD.findall(text) if w not in _STOP and len(w) > 1)
    return tuple(dict.fromkeys(words))


_COUNTRY_SETS: dict[frozenset[str], frozenset[str]] = {}


def _country_set(codes: Iterable[str]) -> frozenset[str]:
    found = frozenset(codes)
    return _COUNTRY_SETS.setdefault(found, found)  # a few dozen distinct sets, shared


@dataclass(frozen=True, slots=True)
class Signature:
    """What near-duplicate matching compares."""

    words: tuple[str, ...]
    countries: frozenset[str]

    @classmethod
    def of(cls, title: str, countries: Iterable[str] | None = None) -> Signature:
        """The signature of a title; `countries` when already known (the catalogue's own
        column), else found in the title."""
        found = countries_in(title) if countries is None else countries
        return cls(title_words(title), _country_set(found))

    def same_story(self, other: Signature) -> bool:
        """Whether two titles tell the same story."""
        nested = self.countries <= other.countries or other.countries <= self.countries
        if self.countries and other.countries and not nested:
            return False
        mine = set(self.words)
        shared = len(mine.intersection(other.words))
        if shared < MIN_SHARED:
            return False
        return shared / len(mine.union(other.words)) >= THRESHOLD


@dataclass(frozen=True, slots=True)
class Entry:
    """A story already known: a queued candidate, a development or a rejected story."""

    kind: str  # "candidate", "development" or "rejected"
    ref: int
    scope: Scope | None
    day: date | None
    signature: Signature
    links: tuple[int, ...] = ()  # hashes of the canonical links (ints cost less than str)


_UNDATED = -1


def _week(day: date | None) -> int:
    return _UNDATED if day is None else day.toordinal() // 7


def link_key(link: str) -> int:
    """What the link index stores for a canonical link."""
    return hash(link)


class StoryIndex:
    """Known stories, looked up by shared words within the date window.

    Entries are kept per week; a week's word index is built the first time a lookup needs
    it. Feed items are recent, so only the last few weeks ever get one: the index of
    100,000 developments stays small (the entries themselves) and quick to load.
    """

    def __init__(self) -> None:
        self._entries: dict[int, Entry] = {}
        self._ids: dict[tuple[str, int], int] = {}
        self._weeks: dict[int, list[int]] = {}
        self._words: dict[int, dict[str, list[int]]] = {}  # built weeks only
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: Entry) -> None:
        """Add or replace a known story."""
        if (entry.kind, entry.ref) in self._ids:
            self.discard(entry.kind, entry.ref)
        iid = self._next
        self._next += 1
        self._ids[(entry.kind, entry.ref)] = iid
        self._entries[iid] = entry
        week = _week(entry.day)
        self._weeks.setdefault(week, []).append(iid)
        built = self._words.get(week)
        if built is not None:
            for word in entry.signature.words:
                built.setdefault(word, []).append(iid)

    def add_all(self, entries: Iterable[Entry]) -> None:
        """Add many known stories."""
        for entry in entries:
            self.add(entry)

    def get(self, kind: str, ref: int) -> Entry | None:
        """A known story by kind and reference."""
        iid = self._ids.get((kind, ref))
        return None if iid is None else self._entries[iid]

    def discard(self, kind: str, ref: int) -> None:
        """Forget a story (retracted, or a candidate that was decided)."""
        iid = self._ids.pop((kind, ref), None)
        if iid is None:
            return
        old = self._entries.pop(iid)
        week = _week(old.day)
        self._weeks[week].remove(iid)
        built = self._words.get(week)
        if built is not None:
            for word in old.signature.words:
                built[word].remove(iid)

    def evict_before(self, day: date) -> list[Entry]:
        """Forget dated stories of the weeks before `day`'s week; returns them."""
        limit = _week(day)
        gone = []
        for week in [w for w in self._weeks if w != _UNDATED and w < limit]:
            for iid in self._weeks.pop(week):
                entry = self._entries.pop(iid)
                del self._ids[(entry.kind, entry.ref)]
                gone.append(entry)
            self._words.pop(week, None)
        return gone

    def _week_words(self, week: int) -> dict[str, list[int]]:
        built = self._words.get(week)
        if built is None:
            built = {}
            for iid in self._weeks.get(week, ()):
                for word in self._entries[iid].signature.words:
                    built.setdefault(word, []).append(iid)
            self._words[week] = built
        return built

    def _weeks_for(self, day: date | None) -> list[int]:
        if day is None:
            return list(self._weeks)
        first = (day.toordinal() - WINDOW_DAYS) // 7
        last = (day.toordinal() + WINDOW_DAYS) // 7
        return [*range(first, last + 1), _UNDATED]

    def match(
        self, title: str | Signature, day: date | None, visible: Callable[[Entry], bool]
    ) -> Entry | None:
        """The known story this title repeats, among the entries `visible` accepts."""
        sig = Signature.of(title) if isinstance(title, str) else title
        counts: dict[int, int] = defaultdict(int)
        for week in self._weeks_for(day):
            if week not in self._weeks:
                continue
            words = self._week_words(week)
            for word in sig.words:
                for iid in words.get(word, ()):
                    counts[iid] += 1
        best: tuple[float, Entry] | None = None
        mine = set(sig.words)
        for iid, shared in counts.items():
            if shared < MIN_SHARED:
                continue
            entry = self._entries[iid]
            if not visible(entry):
                continue
            if day and entry.day and abs((day - entry.day).days) > WINDOW_DAYS:
                continue
            if not sig.same_story(entry.signature):
                continue
            score = shared / len(mine.union(entry.signature.words))
            if best is None or score > best[0]:
                best = (score, entry)
        return best[1] if best else None
