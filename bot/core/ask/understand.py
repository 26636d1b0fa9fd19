"""Reading a question: its language, the period it asks about, the countries and the
catalogue's key terms it names (in any of the three languages), and its other words.

Nothing here touches the database: `understand` is pure, so it is tested on its own.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.core.ask.lexicon import (
    ALL_CONCEPTS,
    ENGLISH_STOPWORDS,
    JAPANESE_STOPWORDS,
    KOREAN_ENDINGS,
    KOREAN_STOPWORDS,
    Concept,
)

QUESTION_MAX = 500
# Each term costs a storage probe: a long question is read for its first terms only, so
# no question can cost much more than a short one.
TERMS_MAX = 12
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
KANA = re.compile("[\u3040-\u30ff\uff66-\uff9f]")
HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9$][a-z0-9$.'’-]*[a-z0-9]|[a-z0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_US = re.compile(r"\bU\.?S\.?A?\b\.?")
MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
} | {"sept": 9}


@dataclass(frozen=True)
class Period:
    """The days a question asks about (both ends included)."""

    start: date
    end: date

    def overlaps(self, start: date, end: date) -> bool:
        """Whether [start, end] shares a day with this period."""
        return start <= self.end and end >= self.start

    def years(self) -> tuple[int, ...]:
        """The calendar years it spans (a year named in a development's text counts)."""
        return tuple(range(self.start.year, self.end.year + 1))


@dataclass(frozen=True)
class Question:
    """What a question asks, as retrieval needs it."""

    text: str
    language: str
    concepts: tuple[Concept, ...] = ()
    words: tuple[str, ...] = ()  # other English words, stemmed
    cjk_words: tuple[str, ...] = ()  # other Japanese or Korean words
    period: Period | None = None
    countries: frozenset[str] = field(default_factory=frozenset)

    @property
    def subject_concepts(self) -> tuple[Concept, ...]:
        """The concepts that are not places."""
        return tuple(c for c in self.concepts if not c.countries)

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: no term, no place, no period."""
        return not (self.concepts or self.words or self.cjk_words or self.period)


def clean(text: str) -> str:
    """NFKC-folded (full-width Latin and digits, half-width kana), no control characters,
    at most QUESTION_MAX characters."""
    folded = unicodedata.normalize("NFKC", text[: QUESTION_MAX * 4])
    return " ".join(_CONTROL.sub(" ", folded).split())[:QUESTION_MAX]


def language_of(text: str) -> str:
    """`ko` for Hangul, `ja` for kana or Han characters, else `en`."""
    if HANGUL.search(text):
        return "ko"
    if KANA.search(text) or HAN.search(text):
        return "ja"
    return "en"


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English stem, enough to meet `lifts`/`lifted`/`lifting` and
    `inspections`/`inspection` (the word index is searched by prefix of it)."""
    word = word.lower().strip(".'’-")
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return _undouble(word[:-3])
    if len(word) > 4 and word.endswith("ed"):
        return _undouble(word[:-2])
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _undouble(word: str) -> str:
    """`travell` → `travel`, `plann` → `plan` (the doubled consonant before -ing, -ed)."""
    if len(word) > 3 and word[-1] == word[-2] and word[-1] in "bdglmnprt":
        return word[:-1]
    return word


def english_tokens(text: str) -> list[str]:
    """Lower-case words and numbers of Latin text (`$80`, `2.69`, `anti-submarine`)."""
    return _WORD.findall(text.lower().replace("–", "-").replace("—", " "))


@functools.lru_cache(maxsize=4096)
def split_words(phrase: str) -> tuple[str, ...]:
    """A wording's stems, hyphenated parts apart (`forced-labour` → forced, labour), as
    the word index splits them."""
    return tuple(stem(p) for t in english_tokens(phrase) for p in re.split(r"[-.'’$]", t) if p)


@functools.lru_cache(maxsize=4096)
def whole_words(phrase: str) -> tuple[str, ...]:
    """A wording's words as the word index holds them (lower case, hyphenated parts
    apart), unstemmed."""
    return tuple(p for t in english_tokens(phrase) for p in re.split(r"[-.'’$]", t) if p)


# --- periods ------------------------------------------------------------------------------


def _month(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def _year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def _day(year: int, month: int, day: int) -> Period | None:
    try:
        one = date(year, month, day)
    except ValueError:
        return None
    return Period(one, one)


def _shift_month(today: date, months: int) -> Period:
    index = today.year * 12 + today.month - 1 + months
    return _month(index // 12, index % 12 + 1)


_RELATIVE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), kind)
    for p, kind in (
        (r"\blast month\b|先月|지난달|지난 달|전월", "last-month"),
        (r"\bthis month\b|今月|이번 달|이번달|금월", "this-month"),
        (r"\blast year\b|昨年|去年|작년|지난해|지난 해", "last-year"),
        (r"\bthis year\b|今年|本年|올해|금년", "this-year"),
        (r"\blast week\b|先週|지난주|지난 주", "last-week"),
        (r"\bthis week\b|今週|이번 주|이번주", "this-week"),
    )
)
_PAST_N = re.compile(
    r"\b(?:last|past)\s+(\d{1,3})\s+(day|week|month|year)s?\b|"
    r"(?:過去|ここ)(\d{1,3})\s*(日|週間|か月|ヶ月|カ月|年)|"
    r"(?:지난|최근)\s*(\d{1,3})\s*(일|주|개월|달|년)",
    re.IGNORECASE,
)
_UNIT_DAYS = {
    "day": 1,
    "week": 7,
    "month": 30,
    "year": 365,
    "日": 1,
    "週間": 7,
    "か月": 30,
    "ヶ月": 30,
    "カ月": 30,
    "年": 365,
    "일": 1,
    "주": 7,
    "개월": 30,
    "달": 30,
    "년": 365,
}
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?\b")
_CJK_DATE = re.compile(
    r"((?:19|20)\d\d)\s*[年년]\s*(?:(\d{1,2})\s*[月월]\s*(?:(\d{1,2})\s*[日일])?)?"
)
_EN_MONTH_YEAR = re.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?([a-z]{3,9})\.?\s+(?:(\d{1,2})(?:st|nd|rd|th)?,?\s+)?((?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\d.$])((?:19|20)\d\d)(?![\d])")


def _relative(text: str, today: date) -> Period | None:
    match = _PAST_N.search(text)
    if match:
        number = next(g for g in match.groups()[0::2] if g)
        unit = next(g for g in match.groups()[1::2] if g)
        days = int(number) * _UNIT_DAYS[unit.lower()]
        return Period(today - timedelta(days=days), today)
    for pattern, kind in _RELATIVE:
        if pattern.search(text):
            if kind == "last-month":
                return _shift_month(today, -1)
            if kind == "this-month":
                return _shift_month(today, 0)
            if kind == "last-year":
                return _year(today.year - 1)
            if kind == "this-year":
                return _year(today.year)
            monday = today - timedelta(days=today.weekday())
            if kind == "last-week":
                return Period(monday - timedelta(days=7), monday - timedelta(days=1))
            return Period(monday, today)
    return None


def find_period(text: str, today: date) -> Period | None:
    """The period a question names: `in April 2023`, `16 March 2023`, `2023-04`,
    `2023年4月`, `2023년 4월 13일`, `in 2019`, `last month`, `先月`, `지난해`, `past 30 days`."""
    relative = _relative(text, today)
    if relative is not None:
        return relative
    match = _ISO.search(text)
    if match:
        year, month, day = int(match[1]), int(match[2]), match[3]
        if 1 <= month <= 12:
            return _day(year, month, int(day)) if day else _month(year, month)
    match = _CJK_DATE.search(text)
    if match:
        year = int(match[1])
        if match[2] and 1 <= int(match[2]) <= 12:
            if match[3]:
                return _day(year, int(match[2]), int(match[3]))
            return _month(year, int(match[2]))
        return _year(year)
    for found in _EN_MONTH_YEAR.finditer(text):
        named = MONTHS.get(found[2].lower())
        if named is None:
            continue
        day = found[1] or found[3]
        year = int(found[4])
        return _day(year, named, int(day)) if day else _month(year, named)
    match = _YEAR.search(text)
    if match:
        return _year(int(match[1]))
    return None


# --- terms --------------------------------------------------------------------------------


def _english_forms() -> list[tuple[tuple[str, ...], Concept]]:
    """Every English wording as stems, longest first (`north korea` before `korea`)."""
    forms = [(split_words(f), c) for c in ALL_CONCEPTS for f in c.en]
    return sorted((f for f in forms if f[0]), key=lambda f: -len(f[0]))


def _native_forms(language: str) -> list[tuple[str, Concept]]:
    """Every Japanese or Korean wording, longest first (by its length without spaces)."""
    forms = [(f, c) for c in ALL_CONCEPTS for f in (c.ja if language == "ja" else c.ko)]
    return sorted(forms, key=lambda f: -len(f[0].replace(" ", "")))


_EN_FORMS = _english_forms()
_NATIVE = {"ja": _native_forms("ja"), "ko": _native_forms("ko")}


def _add(found: list[Concept], concept: Concept) -> None:
    if concept not in found:
        found.append(concept)


def _english_terms(text: str, found: list[Concept]) -> list[str]:
    """Concepts named in Latin text (added to `found`); returns the other content words."""
    tokens = [
        stem(p)
        for t in english_tokens(text)
        for p in re.split(r"[-.'’$]", t)
        if p and t not in ENGLISH_STOPWORDS
    ]
    used = [False] * len(tokens)
    for words, concept in _EN_FORMS:
        n = len(words)
        for i in range(len(tokens) - n + 1):
            if not any(used[i : i + n]) and tuple(tokens[i : i + n]) == words:
                _add(found, concept)
                for j in range(i, i + n):
                    used[j] = True
    rest = [
        t
        for t, u in zip(tokens, used, strict=True)
        if not u and len(t) > 1 and t not in ENGLISH_STOPWORDS and not t.isdigit()
    ]
    return list(dict.fromkeys(rest))


def _native_terms(text: str, language: str, found: list[Concept]) -> list[str]:
    """Concepts named in Japanese or Korean (added to `found`); returns the other words.

    Korean puts spaces between words but not always inside compounds (`수출규제`,
    `수출 규제`), so each wording is looked for with and without its spaces."""
    text = " ".join(text.split())
    covered = [False] * len(text)
    for form, concept in _NATIVE[language]:
        variants = {form, form.replace(" ", "")}
        for variant in variants:
            start = text.find(variant)
            while start >= 0:
                if not any(covered[start : start + len(variant)]):
                    _add(found, concept)
                    for k in range(start, start + len(variant)):
                        covered[k] = True
                start = text.find(variant, start + 1)
    leftover = "".join(" " if c else ch for ch, c in zip(text, covered, strict=True))
    return list(dict.fromkeys(w for w in _leftover_words(leftover, language) if w))


def _leftover_words(text: str, language: str) -> list[str]:
    """The content words among what the glossary did not recognise."""
    if language == "ja":
        # Runs of kanji or of katakana are words; kana between them are particles.
        runs = re.findall("[\u3400-\u9fff\uf900-\ufaff]{2,}|[\u30a0-\u30ff]{3,}", text)
        return [r for r in runs if r not in JAPANESE_STOPWORDS]
    words = []
    for piece in re.findall("[\uac00-\ud7af]+", text):
        if piece in KOREAN_STOPWORDS:
            continue
        if piece in KOREAN_ENDINGS:
            continue
        for ending in KOREAN_ENDINGS:
            if piece.endswith(ending) and len(piece) > len(ending):
                piece = piece[: -len(ending)]
                break
        # A particle left behind a recognised word (`회담에서` → `에서`) is not a word.
        if len(piece) >= 2 and piece not in KOREAN_STOPWORDS and piece not in KOREAN_ENDINGS:
            words.append(piece)
    return words


def understand(text: str, today: date) -> Question:
    """Read a question (any of the three languages; mixed is fine)."""
    cleaned = clean(text)
    language = language_of(cleaned)
    period = find_period(cleaned, today)
    found: list[Concept] = []
    latin = _US.sub(" united states ", cleaned)
    latin = _CJK_DATE.sub(" ", latin)
    words = _english_terms(re.sub(r"[^\x00-\x7f]+", " ", latin), found)
    cjk_words: list[str] = []
    for script in ("ja", "ko"):
        native = re.sub(r"[\x00-\x7f]+", " ", latin)
        if script == "ko" and HANGUL.search(native):
            cjk_words += _native_terms(native, "ko", found)
        elif script == "ja" and (KANA.search(native) or HAN.search(native)):
            ja_text = HANGUL.sub(" ", native)
            cjk_words += _native_terms(ja_text, "ja", found)
    # Relative periods are words of the question, not subjects (`先月` is not a term).
    words = [w for w in words if not _is_period_word(w)]
    countries = frozenset(code for c in found for code in c.countries)
    return Question(
        text=cleaned,
        language=language,
        concepts=tuple(found[:TERMS_MAX]),
        words=tuple(words[:TERMS_MAX]),
        cjk_words=tuple(w for w in dict.fromkeys(cjk_words) if not _is_period_word(w))[:TERMS_MAX],
        period=period,
        countries=countries,
    )


_PERIOD_WORDS = frozenset(
    {"last", "past", "month", "year", "week", "day", "this", "ago", "since"}
    | set(MONTHS)
    | {stem(m) for m in MONTHS}
    | {"先月", "今月", "昨年", "去年", "今年", "先週", "今週", "지난달", "지난해", "작년", "올해"}
)


def _is_period_word(word: str) -> bool:
    return word in _PERIOD_WORDS or word.rstrip("0123456789") in ("", "$")
