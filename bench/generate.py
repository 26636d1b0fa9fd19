"""A synthetic but realistic catalogue, reproducible from a seed.

The document has the shape `briefbot export` writes, so it goes through the project's own
import path (`bot.core.transfer.import_data`): validation, id assignment, revisions, the
search index. Titles and summaries are drawn from a vocabulary with a Zipf-like word
distribution, so a few words appear in nearly every row and the long tail in a handful.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.core.topics import all_topics
from bot.domain.models import DOMAINS, KINDS

ANCHOR = date(2026, 11, 25)  # "today" of the generated catalogue (briefs are composed on it)
YEARS = 20
ZIPF_S = 1.07
COUNTRIES = ("US", "JP", "KR", "KP", "CN", "RU")
COUNTRY_WEIGHTS = (30, 30, 32, 14, 12, 6)

# The head of the vocabulary, most frequent first: the words such a catalogue is full of.
_HEAD_TEXT = """
korea japan south united states security north alliance minister president talks summit
trade missile military seoul tokyo washington defence cooperation foreign agreement
economic export policy government officials trilateral joint meeting nuclear launch china
deterrence exercise relations intelligence leaders bilateral pyongyang supply chain
semiconductor tariffs investment sanctions beijing russia moscow drills naval forces
regional stability dialogue visit statement announced ministry pact envoy strategic
technology energy tourism history dispute compensation labour wartime court ruling
election opinion poll approval coast guard ballistic satellite radar submarine carrier
destroyer airspace waters island territorial fishing currency yen won dollar inflation
growth exports imports shipping batteries chips controls council assembly parliament
cabinet budget spending troops base garrison command framework consultation hotline
"""
HEAD_WORDS = _HEAD_TEXT.split()

_ONSETS = ("b", "ch", "d", "g", "h", "j", "k", "m", "n", "p", "r", "s", "sh", "t", "w", "y", "z")
_NUCLEI = ("a", "e", "i", "o", "u", "ae", "eo", "ou", "ya", "yo", "yu", "wa")
_CODAS = ("", "", "n", "ng", "k", "l", "m", "r", "s", "t")

PUBLISHERS = (
    ("Yonhap News Agency", "en.yna.co.kr"),
    ("Korea JoongAng Daily", "koreajoongangdaily.joins.com"),
    ("The Korea Herald", "www.koreaherald.com"),
    ("The Japan Times", "www.japantimes.co.jp"),
    ("Nikkei Asia", "asia.nikkei.com"),
    ("Kyodo News", "english.kyodonews.net"),
    ("NHK World", "www3.nhk.or.jp"),
    ("Reuters", "www.reuters.com"),
    ("Associated Press", "apnews.com"),
    ("US Department of State", "www.state.gov"),
    ("US Department of Defense", "www.defense.gov"),
    ("Ministry of Foreign Affairs of Japan", "www.mofa.go.jp"),
    ("Ministry of Foreign Affairs, Republic of Korea", "www.mofa.go.kr"),
    ("The White House", "www.whitehouse.gov"),
    ("38 North", "www.38north.org"),
    ("CSIS", "www.csis.org"),
)
TRENDS = ("improving", "unchanged", "deteriorating")


@dataclass(frozen=True)
class Vocabulary:
    """Words by rank (0 = most frequent) with cumulative Zipf weights for sampling."""

    words: tuple[str, ...]
    cum_weights: tuple[float, ...]
    tags: tuple[str, ...]
    tag_cum_weights: tuple[float, ...]

    def common(self, n: int = 5) -> list[str]:
        """The `n` most frequent words."""
        return list(self.words[:n])

    def rare(self, n: int = 5) -> list[str]:
        """`n` words from the far tail (a few dozen occurrences in 100k rows)."""
        tail = self.words[int(len(self.words) * 0.75) :]
        step = max(1, len(tail) // n)
        return list(tail[::step][:n])

    def middle(self, n: int = 5) -> list[str]:
        """`n` words of middling frequency."""
        mid = self.words[len(HEAD_WORDS) : len(HEAD_WORDS) + 400]
        step = max(1, len(mid) // n)
        return list(mid[::step][:n])


def _zipf_cum(n: int) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1.0 / (rank**ZIPF_S) for rank in range(1, n + 1)))


def build_vocabulary(rng: random.Random, size: int = 6000, n_tags: int = 400) -> Vocabulary:
    """The head words followed by made-up words (place and person names, jargon)."""
    words = list(dict.fromkeys(HEAD_WORDS))
    seen = set(words)
    while len(words) < size:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS)
            for _ in range(rng.choice((2, 2, 3, 3, 4)))
        )
        if len(word) >= 4 and word not in seen:
            seen.add(word)
            words.append(word)
    tags = [w for w in words[: n_tags * 2] if len(w) <= 32][:n_tags]
    return Vocabulary(tuple(words), _zipf_cum(len(words)), tuple(tags), _zipf_cum(len(tags)))


@dataclass
class Catalogue:
    """The generated import document and what the figures need to know about it."""

    document: dict[str, Any]
    vocabulary: Vocabulary
    guild_ids: list[int]
    anchor: date = ANCHOR
    stats: dict[str, int] = field(default_factory=dict)


def _sentence(rng: random.Random, vocab: Vocabulary, k: int, limit: int = 140) -> str:
    """`k` words drawn by frequency, capitalised, cut to `limit` characters at a word."""
    text = " ".join(rng.choices(vocab.words, cum_weights=vocab.cum_weights, k=k))
    if len(text) > limit:
        text = text[: text.rfind(" ", 0, limit)]
    return text[:1].upper() + text[1:]


def _countries(rng: random.Random) -> list[str]:
    n = rng.choices((1, 2, 3), weights=(25, 50, 25))[0]
    picked: set[str] = set()
    while len(picked) < n:
        picked.add(rng.choices(COUNTRIES, weights=COUNTRY_WEIGHTS)[0])
    return sorted(picked)


def _date_text(rng: random.Random, day: date) -> str:
    precision = rng.choices(("day", "month", "year"), weights=(85, 11, 4))[0]
    if precision == "month":
        return day.isoformat()[:7]
    if precision == "year":
        return str(day.year)
    return day.isoformat()


def _source(rng: random.Random, vocab: Vocabulary, day: date, serial: int) -> dict[str, Any]:
    publisher, host = rng.choice(PUBLISHERS)
    title = _sentence(rng, vocab, rng.randint(6, 12))
    slug = "-".join(title.lower().split()[:6])
    return {
        "title": title,
        "publisher": publisher,
        "url": f"https://{host}/{day.year}/{day.month:02d}/{slug}-{serial}",
        "published_on": day.isoformat(),
        "accessed_on": day.isoformat(),
    }


def generate(
    developments: int = 100_000,
    servers: int = 1_000,
    *,
    seed: int = 20261125,
    server_share: float = 0.1,
    anchor: date = ANCHOR,
) -> Catalogue:
    """The import document: `developments` over 20 years, a share owned by `servers`."""
    rng = random.Random(seed)
    vocab = build_vocabulary(rng)
    guild_ids = sorted({rng.randrange(10**17, 10**18) for _ in range(servers)})
    start = anchor - timedelta(days=365 * YEARS)
    span = (anchor - start).days
    days = []
    for _ in range(developments):
        if rng.random() < 0.005:  # scheduled: up to three months ahead ("what to watch")
            days.append(anchor + timedelta(days=rng.randint(1, 90)))
        else:
            # More recent years are better covered than early ones.
            days.append(start + timedelta(days=int(span * rng.random() ** 0.7)))
    days.sort()
    devs: list[dict[str, Any]] = []
    for serial, day in enumerate(days, start=1):
        kind = rng.choices(KINDS, weights=(70, 15, 15))[0]
        scope = str(rng.choice(guild_ids)) if guild_ids and rng.random() < server_share else None
        tags = list(
            dict.fromkeys(
                rng.choices(vocab.tags, cum_weights=vocab.tag_cum_weights, k=rng.randint(0, 4))
            )
        )
        stamp = (
            f"{min(day, anchor).isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        )
        dev: dict[str, Any] = {
            "scope": scope or "global",
            "kind": kind,
            "title": _sentence(rng, vocab, rng.randint(6, 12)),
            "summary": _sentence(rng, vocab, rng.randint(35, 70), 900) + ".",
            "date": _date_text(rng, day),
            "countries": _countries(rng),
            "domain": rng.choices(DOMAINS, weights=(35, 30, 25, 10))[0],
            "tags": tags,
            "importance": rng.choices((1, 2, 3), weights=(45, 40, 15))[0],
            "why_it_matters": (
                _sentence(rng, vocab, rng.randint(10, 25)) + "." if rng.random() < 0.3 else None
            ),
            "created_by": "bench generator" if scope is None else f"moderator of {scope}",
            "created_at": stamp,
            "sources": [_source(rng, vocab, day, serial * 2 + i) for i in range(2)],
        }
        devs.append(dev)
    assessments: list[dict[str, Any]] = []
    for topic in all_topics():
        for year in range(3):
            assessments.append(
                {
                    "topic": topic.slug,
                    "scope": "global",
                    "bottom_line": _sentence(rng, vocab, rng.randint(15, 30)) + ".",
                    "trend": rng.choice(TRENDS),
                    "watch_next": [
                        _sentence(rng, vocab, rng.randint(5, 12)) for _ in range(rng.randint(0, 4))
                    ],
                    "author": "bench generator",
                    "created_at": f"{anchor.year - 2 + year}-01-15T09:00:00Z",
                }
            )
    for guild in guild_ids[: max(1, servers // 10)] if guild_ids else []:
        topic = rng.choice(all_topics())
        assessments.append(
            {
                "topic": topic.slug,
                "scope": str(guild),
                "bottom_line": _sentence(rng, vocab, rng.randint(15, 30)) + ".",
                "trend": rng.choice(TRENDS),
                "watch_next": [_sentence(rng, vocab, 8)],
                "author": f"moderator of {guild}",
                "created_at": f"{anchor.year}-06-01T09:00:00Z",
            }
        )
    document = {
        "format": "trilateral-brief-export",
        "version": 1,
        "developments": devs,
        "assessments": assessments,
        "datasets": [],
    }
    stats = {
        "developments": len(devs),
        "sources": sum(len(d["sources"]) for d in devs),
        "server_developments": sum(1 for d in devs if d["scope"] != "global"),
        "assessments": len(assessments),
        "servers": len(guild_ids),
    }
    return Catalogue(document, vocab, guild_ids, anchor, stats)
