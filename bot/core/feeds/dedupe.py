"""Near-duplicate stories: the same news told by two publishers with different words.

A title becomes a set of content words with country names folded to codes, spelling
variants unified and light stemming ("drills" = "drill", "defence" = "defense"). Two titles
are the same story when they name the same tracked countries (or one set contains the
other), share at least three content words and their word sets overlap by `THRESHOLD`
(Jaccard), within `WINDOW_DAYS` of each other.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from bot.core.feeds.classify import countries_in

THRESHOLD = 0.55
MIN_SHARED = 3
WINDOW_DAYS = 10

_WORD = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_FOLD = (
    (re.compile(r"\bs\.\s?korea(?:n|ns)?\b|\bsouth korea(?:n|ns)?\b|\brok\b"), " kr "),
    (re.compile(r"\bn\.\s?korea(?:n|ns)?\b|\bnorth korea(?:n|ns)?\b|\bdprk\b"), " kp "),
    (re.compile(r"\bu\.\s?s\.(?:a\.)?|\bunited states\b|\bamerican?s?\b|\busa?\b"), " us "),
    (re.compile(r"\bjapan(?:ese)?\b"), " jp "),
    (re.compile(r"\bchin(?:a|ese)\b"), " cn "),
    (re.compile(r"\brussian?s?\b"), " ru "),
    (re.compile(r"\bkorea(?:n|ns)?\b"), " kr "),
)
_SPELLING = {"defence": "defense", "programme": "program", "organisation": "organization"}
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
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    if word.endswith("ing") and len(word) > 6:
        return word[:-3]
    return word


def title_words(title: str) -> frozenset[str]:
    """The content words of a title, folded and stemmed (country names removed)."""
    text = title.lower().replace("’", "'")
    for pattern, code in _FOLD:
        text = pattern.sub(code, text)
    return frozenset(_stem(w) for w in _WORD.findall(text) if w not in _STOP and len(w) > 1)


@dataclass(frozen=True)
class Signature:
    """What near-duplicate matching compares."""

    words: frozenset[str]
    countries: frozenset[str]

    @classmethod
    def of(cls, title: str) -> Signature:
        """The signature of a title."""
        return cls(title_words(title), frozenset(countries_in(title)))

    def same_story(self, other: Signature) -> bool:
        """Whether two titles tell the same story."""
        nested = self.countries <= other.countries or other.countries <= self.countries
        if self.countries and other.countries and not nested:
            return False
        shared = len(self.words & other.words)
        if shared < MIN_SHARED:
            return False
        return shared / len(self.words | other.words) >= THRESHOLD


@dataclass(frozen=True)
class Entry:
    """A story already known: a queued candidate, a development or a rejected story."""

    kind: str  # "candidate", "development" or "rejected"
    ref: int
    scope: int | None
    day: date | None
    signature: Signature
    links: tuple[str, ...] = ()


_UNDATED = -1


def _week(day: date | None) -> int:
    return _UNDATED if day is None else day.toordinal() // 7


class StoryIndex:
    """Known stories, looked up by shared words within the date window (postings are kept
    per word and week, so a lookup reads a few weeks of a word, not its whole history);
    links are matched exactly elsewhere."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], Entry] = {}
        self._postings: dict[str, dict[int, set[tuple[str, int]]]] = defaultdict(dict)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: Entry) -> None:
        """Add or replace a known story."""
        key = (entry.kind, entry.ref)
        self.discard(entry.kind, entry.ref)
        self._entries[key] = entry
        week = _week(entry.day)
        for word in entry.signature.words:
            self._postings[word].setdefault(week, set()).add(key)

    def add_all(self, entries: Iterable[Entry]) -> None:
        """Add many known stories."""
        for entry in entries:
            self.add(entry)

    def get(self, kind: str, ref: int) -> Entry | None:
        """A known story by kind and reference."""
        return self._entries.get((kind, ref))

    def discard(self, kind: str, ref: int) -> None:
        """Forget a story (retracted, or a candidate that was decided)."""
        old = self._entries.pop((kind, ref), None)
        if old is not None:
            week = _week(old.day)
            for word in old.signature.words:
                self._postings[word].get(week, set()).discard((kind, ref))

    def _weeks(self, day: date | None, word: str) -> Iterable[int]:
        if day is None:
            return list(self._postings.get(word, {}))
        first = (day.toordinal() - WINDOW_DAYS) // 7
        last = (day.toordinal() + WINDOW_DAYS) // 7
        return [*range(first, last + 1), _UNDATED]

    def match(self, title: str, day: date | None, visible: Callable[[Entry], bool]) -> Entry | None:
        """The known story this title repeats, among the entries `visible` accepts."""
        sig = Signature.of(title)
        counts: dict[tuple[str, int], int] = defaultdict(int)
        for word in sig.words:
            by_week = self._postings.get(word)
            if not by_week:
                continue
            for week in self._weeks(day, word):
                for key in by_week.get(week, ()):
                    counts[key] += 1
        best: tuple[float, Entry] | None = None
        for key, shared in counts.items():
            if shared < MIN_SHARED:
                continue
            entry = self._entries[key]
            if not visible(entry):
                continue
            if day and entry.day and abs((day - entry.day).days) > WINDOW_DAYS:
                continue
            if not sig.same_story(entry.signature):
                continue
            score = shared / len(sig.words | entry.signature.words)
            if best is None or score > best[0]:
                best = (score, entry)
        return best[1] if best else None
