"""Digest filters as typed into /subscribe, and applied to a digest.

A filter belongs to one subscription. It is applied to a digest after the shared read of
its topics (`filter_digest`), so subscriptions on the same topics still share that read.
What a filter keeps is `bot.domain.digest_filter.DigestFilter.keeps`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.domain.digest_filter import DigestFilter
from bot.domain.errors import InvalidInput
from bot.domain.models import DOMAINS, Development
from bot.i18n import gettext as _

if TYPE_CHECKING:
    from bot.core.digests.building import Digest

WORDS_MAX = 10
WORD_MAX = 40


def parse_words(field: str, value: str | None) -> tuple[str, ...]:
    """Words or phrases as typed: separated by commas when there is a comma, else by
    spaces. At most ten, each at most 40 characters; case is ignored."""
    text = " ".join((value or "").split())
    if not text:
        return ()
    parts = text.split(",") if "," in text else text.split(" ")
    words = tuple(dict.fromkeys(p.strip().casefold() for p in parts if p.strip()))
    if len(words) > WORDS_MAX:
        raise InvalidInput(
            field, _("at most {words_max} words or phrases").format(words_max=WORDS_MAX)
        )
    for word in words:
        if len(word) > WORD_MAX:
            raise InvalidInput(
                field,
                _("each word or phrase must be at most {word_max} characters").format(
                    word_max=WORD_MAX
                ),
            )
    return words


def parse_domains(value: str | None) -> tuple[str, ...]:
    """Domains separated by commas or spaces (`all` or nothing: every domain)."""
    names = [n.casefold() for n in re.split(r"[,\s]+", value or "") if n]
    if not names or names == ["all"]:
        return ()
    for name in names:
        if name not in DOMAINS:
            raise InvalidInput(
                "domains",
                _("{name!r} is not a domain; use any of {value}").format(
                    name=name[:20], value=", ".join(DOMAINS)
                ),
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
        raise InvalidInput("exclude", _("a word cannot be both included and excluded"))
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
