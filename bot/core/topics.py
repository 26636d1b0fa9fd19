"""Finding topics by what people type: slugs, aliases, suggestions, autocomplete ranking.

The topics themselves and the membership rule live in `bot.domain.topics`.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import cache

from bot import i18n
from bot.domain.errors import UnknownTopic
from bot.domain.topics import (
    DEFAULT_SUBSCRIPTION_TOPICS,
    PAIR_TOPICS,
    TOPICS,
    Topic,
    all_topics,
    topics_for,
)

__all__ = [
    "DEFAULT_SUBSCRIPTION_TOPICS",
    "PAIR_TOPICS",
    "TOPICS",
    "Topic",
    "all_topics",
    "get_topic",
    "rank_topics",
    "resolve_topic",
    "suggest_topics",
    "topics_for",
]


_BY_SLUG = {t.slug: t for t in TOPICS}
#: What people type besides the slugs and the titles (which are known in every language):
#: English shorthands, and the names Japanese and Korean readers use, in either order.
_ALIASES = {
    "korea-japan": "japan-korea",
    "japan-south-korea": "japan-korea",
    "south-korea-japan": "japan-korea",
    "jk": "japan-korea",
    "日韓": "japan-korea",
    "韓日": "japan-korea",
    "한일": "japan-korea",
    "일한": "japan-korea",
    "japan-us": "us-japan",
    "日米": "us-japan",
    "米日": "us-japan",
    "미일": "us-japan",
    "한미일": "trilateral",
    "일미": "us-japan",
    "korea-us": "us-korea",
    "us-south-korea": "us-korea",
    "south-korea-us": "us-korea",
    "米韓": "us-korea",
    "韓米": "us-korea",
    "한미": "us-korea",
    "미한": "us-korea",
    "us-japan-korea": "trilateral",
    "us-japan-south-korea": "trilateral",
    "日米韓": "trilateral",
    "米日韓": "trilateral",
    "韓米日": "trilateral",
    "日韓米": "trilateral",
    "미한일": "trilateral",
    "한일미": "trilateral",
    "dprk": "north-korea",
    "nk": "north-korea",
    "北朝鮮": "north-korea",
    "북한": "north-korea",
    "조선": "north-korea",
    "prc": "china",
    "中国": "china",
    "중국": "china",
    "ロシア": "russia",
    "러시아": "russia",
    "安全保障": "security",
    "安保": "security",
    "안보": "security",
    "経済": "economy",
    "경제": "economy",
    "外交": "diplomacy",
    "외교": "diplomacy",
    "社会": "society",
    "사회": "society",
}
SUGGESTIONS_MAX = 3
_SEPARATORS = str.maketrans({"_": "-", "–": "-", "—": "-", "・": "-", "·": "-", "/": "-"})


def _key(name: str) -> str:
    """What people type, folded: width (ＪＡＰＡＮ), case, spaces and dashes."""
    folded = unicodedata.normalize("NFKC", name).strip().lower().translate(_SEPARATORS)
    return "-".join(folded.replace("-", " ").split())


@cache
def _names() -> dict[str, str]:
    """Every name of every topic → its slug: slugs, aliases, and the titles in each language
    the bot speaks (so a reader can type the name they read)."""
    names = {slug: slug for slug in _BY_SLUG}
    names |= {_key(alias): slug for alias, slug in _ALIASES.items()}
    for topic in TOPICS:
        for language in i18n.LOCALES:
            names.setdefault(_key(i18n.translate_to(language, topic.title)), topic.slug)
    return names


def resolve_topic(name: str) -> Topic | None:
    """The topic a name stands for (slug, alias or title in any language), or None."""
    slug = _names().get(_key(name))
    return None if slug is None else _BY_SLUG[slug]


def suggest_topics(name: str, limit: int = SUGGESTIONS_MAX) -> list[str]:
    """The slugs of the topics whose names are nearest to `name` (none when nothing is near)."""
    names = _names()
    close = difflib.get_close_matches(_key(name), list(names), n=limit * 4, cutoff=0.5)
    return list(dict.fromkeys(names[c] for c in close))[:limit]


def get_topic(name: str) -> Topic:
    """The topic called `name` (slug, alias or title in any language), or `UnknownTopic`
    with the nearest names as suggestions."""
    topic = resolve_topic(name)
    if topic is None:
        raise UnknownTopic(name.strip()[:40], suggest_topics(name))
    return topic


def rank_topics(query: str, limit: int = 25) -> list[Topic]:
    """Topics for autocomplete: a name starting with what is typed first, then a name
    containing it, then near names; every name in every language counts."""
    q = _key(query)
    if not q:
        return list(TOPICS[:limit])
    best: dict[str, int] = {}
    for name, slug in _names().items():
        if name == q:
            score = 0
        elif name.startswith(q):
            score = 1 if name == slug else 2  # the slug itself first
        elif q in name:
            score = 3
        elif difflib.SequenceMatcher(None, q, name).ratio() >= 0.5:
            score = 4
        else:
            continue
        best[slug] = min(score, best.get(slug, score))
    order = {t.slug: i for i, t in enumerate(TOPICS)}
    ranked = sorted(best, key=lambda slug: (best[slug], order[slug]))
    return [_BY_SLUG[slug] for slug in ranked][:limit]
