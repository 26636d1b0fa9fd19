"""A subscription's digest filter: words a development must mention, words it must not,
and its domains. Pure: parsing what people type lives in `bot.core.digests.filters`.

Words match the title, summary, tags and why-it-matters line, ignoring case. A word in
Latin letters or digits matches at the start of a word, so `chip` finds `chips` but not
`microchip`, and a tag such as `export-controls` matches as written; any other text, e.g.
Japanese or Korean, which has no spaces between words, matches anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.models import Development

_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9' -]*")


@dataclass(frozen=True)
class DigestFilter:
    """What a subscription keeps; empty parts keep everything."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether anything is filtered out at all."""
        return bool(self.include or self.exclude or self.domains)

    def describe(self) -> str:
        """`mentions chips or semiconductors · not tourism · security, economy only`."""
        parts = []
        if self.include:
            parts.append("mentions " + " or ".join(_quoted(self.include)))
        if self.exclude:
            parts.append("not " + ", ".join(_quoted(self.exclude)))
        if self.domains:
            parts.append(", ".join(self.domains) + " only")
        return " · ".join(parts) or "everything"

    def keeps(self, dev: Development) -> bool:
        """Whether a development passes the filter."""
        if self.domains and dev.domain not in self.domains:
            return False
        if not self.include and not self.exclude:
            return True
        text = _searchable(dev)
        if self.include and not any(_mentions(text, w) for w in self.include):
            return False
        return not any(_mentions(text, w) for w in self.exclude)


NO_FILTER = DigestFilter()


def _quoted(words: Iterable[str]) -> list[str]:
    return [f"“{w}”" if " " in w else w for w in words]


def _searchable(dev: Development) -> str:
    return "\n".join(
        (dev.title, dev.summary, " ".join(dev.tags), dev.why_it_matters or "")
    ).casefold()


def _mentions(text: str, word: str) -> bool:
    if _ASCII_WORD.fullmatch(word):
        return re.search(rf"(?<![a-z0-9]){re.escape(word)}", text) is not None
    return word in text
