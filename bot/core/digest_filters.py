"""Digest filters: words a development must mention, words it must not, and its domains.

A filter belongs to one subscription. It is applied to a digest after the shared read of
its topics (`filter_digest`), so subscriptions on the same topics still share that read;
everything here is pure.

Words match the title, summary, tags and why-it-matters line, ignoring case. A word in
Latin letters or digits matches at the start of a word, so `chip` finds `chips` but not
`microchip`, and a tag such as `export-controls` matches as written; any other text, e.g.
Japanese or Korean, which has no spaces between words, matches anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core.errors import InvalidInput
from bot.core.models import DOMAINS, Development

if TYPE_CHECKING:
    from bot.core.digests import Digest

WORDS_MAX = 10
WORD_MAX = 40
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


def parse_words(field: str, value: str | None) -> tuple[str, ...]:
    """Words or phrases as typed: separated by commas when there is a comma, else by
    spaces. At most ten, each at most 40 characters; case is ignored."""
    text = " ".join((value or "").split())
    if not text:
        return ()
    parts = text.split(",") if "," in text else text.split(" ")
    words = tuple(dict.fromkeys(p.strip().casefold() for p in parts if p.strip()))
    if len(words) > WORDS_MAX:
        raise InvalidInput(field, f"at most {WORDS_MAX} words or phrases")
    for word in words:
        if len(word) > WORD_MAX:
            raise InvalidInput(field, f"each word or phrase must be at most {WORD_MAX} characters")
    return words


def parse_domains(value: str | None) -> tuple[str, ...]:
    """Domains separated by commas or spaces (`all` or nothing: every domain)."""
    names = [n.casefold() for n in re.split(r"[,\s]+", value or "") if n]
    if not names or names == ["all"]:
        return ()
    for name in names:
        if name not in DOMAINS:
            raise InvalidInput(
                "domains", f"{name[:20]!r} is not a domain; use any of {', '.join(DOMAINS)}"
            )
    return tuple(d for d in DOMAINS if d in names)


def parse_filter(
    include: str | None = None, exclude: str | None = None, domains: str | None = None
) -> DigestFilter:
    """A filter from what was typed into /subscribe."""
    result = DigestFilter(
        include=parse_words("include", include),
        exclude=parse_words("exclude", exclude),
        domains=parse_domains(domains),
    )
    if set(result.include) & set(result.exclude):
        raise InvalidInput("exclude", "a word cannot be both included and excluded")
    return result


def filter_developments(devs: Iterable[Development], f: DigestFilter) -> list[Development]:
    """The developments the filter keeps, in their order."""
    return [d for d in devs if f.keeps(d)]


def filter_digest(digest: Digest, f: DigestFilter) -> Digest:
    """The digest with only the developments the filter keeps (sections left empty are
    dropped); topic assessments stay, they are not developments."""
    if not f.active:
        return digest
    sections = []
    for section in digest.sections:
        kept = replace(
            section,
            new=filter_developments(section.new, f),
            updated=filter_developments(section.updated, f),
            retracted=filter_developments(section.retracted, f),
        )
        if kept.count:
            sections.append(kept)
    return replace(digest, sections=sections)
