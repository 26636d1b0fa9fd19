"""Finding topics by what people type: slugs, aliases, suggestions, autocomplete ranking.

The topics themselves and the membership rule live in `bot.domain.topics`.
"""

from __future__ import annotations

import difflib

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
    "topics_for",
]


_BY_SLUG = {t.slug: t for t in TOPICS}
_ALIASES = {
    "korea-japan": "japan-korea",
    "japan-south-korea": "japan-korea",
    "south-korea-japan": "japan-korea",
    "jk": "japan-korea",
    "japan-us": "us-japan",
    "korea-us": "us-korea",
    "us-south-korea": "us-korea",
    "south-korea-us": "us-korea",
    "us-japan-korea": "trilateral",
    "us-japan-south-korea": "trilateral",
    "dprk": "north-korea",
    "nk": "north-korea",
    "prc": "china",
}


def get_topic(name: str) -> Topic:
    """The topic called `name` (slug or common alias), or `UnknownTopic` with suggestions."""
    key = "-".join(name.strip().lower().replace("_", "-").replace("–", "-").split())
    key = _ALIASES.get(key, key)
    topic = _BY_SLUG.get(key)
    if topic is None:
        candidates = list(_BY_SLUG) + list(_ALIASES)
        close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.5)
        suggestions = list(dict.fromkeys(_ALIASES.get(c, c) for c in close))
        raise UnknownTopic(name.strip()[:40], suggestions or list(DEFAULT_SUBSCRIPTION_TOPICS))
    return topic


def rank_topics(query: str, limit: int = 25) -> list[Topic]:
    """Topics for autocomplete: prefix matches first, then substring, then fuzzy."""
    q = query.strip().lower()
    if not q:
        return list(TOPICS[:limit])
    scored: list[tuple[int, int, Topic]] = []
    for index, topic in enumerate(TOPICS):
        hay = f"{topic.slug} {topic.title.lower()}"
        if topic.slug.startswith(q):
            score = 0
        elif q in hay:
            score = 1
        elif difflib.SequenceMatcher(None, q, topic.slug).ratio() >= 0.5:
            score = 2
        else:
            continue
        scored.append((score, index, topic))
    return [t for _, _, t in sorted(scored, key=lambda s: (s[0], s[1]))][:limit]
