"""Turning raw user input (modals, CLI, import files) into validated domain objects.

Every rule raises `InvalidInput(field, rule)` with a message that says what is allowed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast
from urllib.parse import urlsplit

from bot.core.countries import normalise_country
from bot.domain.errors import InvalidInput
from bot.domain.models import (
    DOMAINS,
    KINDS,
    TRENDS,
    DevelopmentDraft,
    Domain,
    FuzzyDate,
    Kind,
    Source,
    Trend,
)
from bot.domain.wording import N_
from bot.i18n import gettext as _

TITLE_MAX = 150
SUMMARY_MAX = 1000
WHY_MAX = 300
BOTTOM_LINE_MAX = 300
WATCH_ITEM_MAX = 200
WATCH_ITEMS_MAX = 5
REASON_MAX = 300
SOURCES_MAX = 10
TAGS_MAX = 10
SOURCE_TITLE_MAX = 300
PUBLISHER_MAX = 120
URL_MAX = 500
YEAR_MIN, YEAR_MAX = 1900, 2100

_TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
# Control characters, and the private-use characters search uses to mark hits in snippets.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ue000\ue001]")
_DATE_FORMS = N_("YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2023-03-16)")
# A part of a sources line that is meant as a link (and must then be https).
_LINKISH = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|www\.|(?:javascript|vbscript|data|file|mailto):)", re.IGNORECASE
)


def clean_text(value: Any, *, single_line: bool = False) -> str:
    """Strip control characters and surrounding space; optionally fold to one line."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        # Printable ASCII has no control characters and no whitespace but spaces (the
        # common case, ~4x faster): only runs of spaces need folding.
        if single_line and "  " in text:
            text = " ".join(text.split())
        return text.strip()
    text = _CONTROL.sub("", text)
    if single_line:
        text = " ".join(text.split())
    return text.strip()


def require_text(field: str, value: Any, limit: int, *, single_line: bool = False) -> str:
    """A non-empty text of at most `limit` characters."""
    text = clean_text(value, single_line=single_line)
    if not text:
        raise InvalidInput(field, _("is required"))
    if len(text) > limit:
        raise InvalidInput(
            field,
            _("must be at most {limit} characters (it has {count})").format(
                limit=limit, count=len(text)
            ),
        )
    return text


def optional_text(field: str, value: Any, limit: int, *, single_line: bool = False) -> str | None:
    """Like `require_text`, but empty means None."""
    text = clean_text(value, single_line=single_line)
    if not text:
        return None
    if len(text) > limit:
        raise InvalidInput(
            field,
            _("must be at most {limit} characters (it has {count})").format(
                limit=limit, count=len(text)
            ),
        )
    return text


def parse_fuzzy_date(value: Any, field: str = "date") -> FuzzyDate:
    """`2023-03-16`, `2023-03` or `2023` to a `FuzzyDate` with matching precision.
    Full-width digits and dashes (ordinary from a Japanese or Korean keyboard) are read as
    their ASCII forms (NFKC)."""
    return _fuzzy_date(unicodedata.normalize("NFKC", clean_text(value)), field)


_FUZZY_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@functools.lru_cache(maxsize=16384)
def _fuzzy_date(text: str, field: str) -> FuzzyDate:
    # Cached: an import repeats the same few thousand dates (FuzzyDate is immutable).
    match = _FUZZY_DATE.fullmatch(text)
    if not match:
        raise InvalidInput(
            field,
            _("must be {date_forms}; got {text!r}").format(
                date_forms=_(_DATE_FORMS), text=text[:40]
            ),
        )
    year, month, day = int(match[1]), match[2], match[3]
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidInput(
            field,
            _("year must be between {year_min} and {year_max}").format(
                year_min=YEAR_MIN, year_max=YEAR_MAX
            ),
        )
    try:
        if day is not None:
            return FuzzyDate(date(year, int(cast(str, month)), int(day)), "day")
        if month is not None:
            return FuzzyDate(date(year, int(month), 1), "month")
    except ValueError:
        raise InvalidInput(
            field,
            _("{text!r} is not a real date ({date_forms})").format(
                text=text, date_forms=_(_DATE_FORMS)
            ),
        ) from None
    return FuzzyDate(date(year, 1, 1), "year")


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,;]+", value) if part]
    return [str(part) for part in value if str(part).strip()]


def parse_countries(value: Any) -> tuple[str, ...]:
    """ISO alpha-2 codes (or ROK, DPRK, PRC, USA …), at least one, sorted and unique."""
    codes = set()
    for part in _split_list(value):
        code = normalise_country(part)
        if code is None:
            raise InvalidInput(
                "countries",
                _("{part!r} is not an ISO country code (use e.g. US JP KR KP CN RU)").format(
                    part=part[:20]
                ),
            )
        codes.add(code)
    if not codes:
        raise InvalidInput("countries", _("at least one ISO country code is required (e.g. JP KR)"))
    return tuple(sorted(codes))


def parse_tags(value: Any) -> tuple[str, ...]:
    """Up to ten lowercase tags: letters, digits and hyphens, 32 characters each."""
    tags: list[str] = []
    for part in _split_list(value):
        tag = part.lower().lstrip("#")
        if not _TAG.match(tag):
            raise InvalidInput(
                "tags",
                _("{part!r} is not a tag (lowercase letters, digits, hyphens; ≤ 32)").format(
                    part=part[:40]
                ),
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise InvalidInput("tags", _("at most {tags_max} tags").format(tags_max=TAGS_MAX))
    return tuple(tags)


def parse_choice(field: str, value: Any, allowed: Iterable[str]) -> str:
    """One of `allowed`, case-insensitive."""
    options = tuple(allowed)
    text = clean_text(value).lower()
    if text not in options:
        raise InvalidInput(field, _("must be one of {value}").format(value=", ".join(options)))
    return text


def parse_importance(value: Any) -> int:
    """1 (minor), 2 (notable) or 3 (major)."""
    text = clean_text(value) or "2"
    if text not in ("1", "2", "3"):
        raise InvalidInput("importance", _("must be 1 (minor), 2 (notable) or 3 (major)"))
    return int(text)


def parse_url(value: Any, field: str = "source url") -> str | None:
    """An https URL with a host, or None when empty."""
    text = clean_text(value, single_line=True)
    if not text:
        return None
    if len(text) > URL_MAX:
        raise InvalidInput(field, _("must be at most {url_max} characters").format(url_max=URL_MAX))
    if not _https_with_host(text) or " " in text:
        raise InvalidInput(
            field, _("must be an https:// link; got {text!r}").format(text=text[:60])
        )
    return text


def _https_with_host(text: str) -> bool:
    """Whether `urlsplit(text)` has the scheme https and a host. An import checks 200,000
    links: printable ASCII starting `https://` (nearly all) is read without `urlsplit`, which
    ends the host at the first `/`, `?` or `#` (brackets, an IPv6 host, go the long way)."""
    plain = text.isascii() and text.isprintable() and "[" not in text and "]" not in text
    if plain and text[:8].lower() == "https://":
        return text[8:9] not in ("", "/", "?", "#")
    parts = urlsplit(text)
    return parts.scheme.lower() == "https" and bool(parts.netloc)


@functools.lru_cache(maxsize=16384)
def _iso_date(text: str) -> str | None:
    # Cached by the text alone (not the field, which names the source: four keys a date): an
    # import's 200,000 sources repeat a few thousand dates. None: not a date.
    try:
        return parse_fuzzy_date(text).iso()
    except InvalidInput:
        return None


def _source_date(value: Any, field: str) -> str | None:
    if not value:
        return None
    iso = _iso_date(value) if type(value) is str else None
    # Not a date (or not text): parsed again, to say so naming the field.
    return iso if iso is not None else parse_fuzzy_date(value, field).iso()


def parse_source(value: Mapping[str, Any] | Source, index: int = 1) -> Source:
    """One source from a mapping of title/publisher/url/published_on/accessed_on."""
    if isinstance(value, Source):
        value = value.__dict__
    prefix = f"source {index}"
    url = parse_url(value.get("url"), f"{prefix} url")
    title = optional_text(f"{prefix} title", value.get("title"), SOURCE_TITLE_MAX, single_line=True)
    if title is None:
        if url is None:
            raise InvalidInput(prefix, _("needs a title (a citation) or an https:// link"))
        title = urlsplit(url).netloc
    return Source(
        title=title,
        publisher=optional_text(
            f"{prefix} publisher", value.get("publisher"), PUBLISHER_MAX, single_line=True
        ),
        url=url,
        published_on=_source_date(value.get("published_on"), f"{prefix} date"),
        accessed_on=_source_date(value.get("accessed_on"), f"{prefix} accessed"),
    )


def parse_sources_text(text: str) -> tuple[Source, ...]:
    """Sources typed one per line, the way people write them.

    A line is a link alone, a link with the publisher or title after it (with or without
    `|`), a citation without a link, or the full `https://link | Publisher | Title |
    2023-03-19`. See `parse_source_line`.
    """
    lines = [line for line in clean_text(text).splitlines() if line.strip()]
    return check_sources(parse_source_line(line, i) for i, line in enumerate(lines, start=1))


_DATE_PART = re.compile(r"\d{4}(-\d{1,2}){0,2}")
# Words that separate a link from what follows it when no `|` is used.
_SEPARATORS = " -–—:,;·"
# At most this many words after a link are read as the publisher, more as the title.
PUBLISHER_WORDS_MAX = 3


def parse_source_line(line: str, index: int = 1) -> Source:
    """One typed source line. With `|`, parts are told apart by shape: the link, a date,
    then the publisher and the title (one part alone is the title). Without `|`, the one
    link in the line is the link, a date at the end is the date, and the rest is the
    publisher when it is short (≤ 3 words) and the title otherwise."""
    fields: dict[str, Any] = {}
    if "|" in line:
        rest = []
        for part in (p.strip() for p in line.split("|")):
            if not part:
                continue
            if _LINKISH.match(part):
                fields["url"] = part
            elif _DATE_PART.fullmatch(part):
                fields["published_on"] = part
            else:
                rest.append(part)
        if len(rest) >= 2:
            fields["publisher"], fields["title"] = rest[0], " | ".join(rest[1:])
        elif rest:
            fields["title"] = rest[0]
        return parse_source(fields, index)
    words = line.split()
    links = [w for w in words if _LINKISH.match(w)]
    if len(links) != 1:  # a citation (or several links, which parse_source refuses)
        return parse_source({"title": line} if not links else {"url": line}, index)
    at = words.index(links[0])
    before, after = words[:at], words[at + 1 :]
    if after and _DATE_PART.fullmatch(after[-1]):
        fields["published_on"] = after.pop()
    named = " ".join(before + after).strip(_SEPARATORS)
    fields["url"] = links[0]
    if named:
        fields["publisher" if len(named.split()) <= PUBLISHER_WORDS_MAX else "title"] = named
    return parse_source(fields, index)


def check_sources(sources: Iterable[Source]) -> tuple[Source, ...]:
    """At least one and at most ten sources."""
    result = tuple(sources)
    if not result:
        raise InvalidInput("sources", _("at least one source is required (a link or a citation)"))
    if len(result) > SOURCES_MAX:
        raise InvalidInput(
            "sources",
            _("at most {sources_max} sources (got {count})").format(
                sources_max=SOURCES_MAX, count=len(result)
            ),
        )
    return result


def format_sources_text(sources: Iterable[Source]) -> str:
    """The inverse of `parse_sources_text`, for prefilled forms."""
    lines = []
    for s in sources:
        parts = [p for p in (s.url, s.publisher, s.title, s.published_on) if p]
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def fit_sources_text(sources: Sequence[Source], limit: int) -> tuple[str, int]:
    """The `format_sources_text` of as many whole sources as fit in `limit` characters
    (counted as UTF-16 units, as Discord counts a text box), and how many that is."""
    lines: list[str] = []
    size = 0
    for source in sources:
        line = format_sources_text((source,))
        added = len(line.encode("utf-16-le")) // 2 + (1 if lines else 0)
        if size + added > limit:
            break
        lines.append(line)
        size += added
    return "\n".join(lines), len(lines)


def parse_sources(value: Any) -> tuple[Source, ...]:
    """One to ten sources: a list of mappings, or the one-per-line text of
    `parse_sources_text`."""
    if isinstance(value, str):
        return parse_sources_text(value)
    return check_sources(parse_source(s, i) for i, s in enumerate(value or (), 1))


def validate_development(raw: Mapping[str, Any]) -> DevelopmentDraft:
    """Validate every field of a development given as raw values.

    `sources` may be a list of mappings or the one-per-line text of `parse_sources_text`.
    """
    sources = parse_sources(raw.get("sources"))
    return DevelopmentDraft(
        kind=cast(Kind, parse_choice("kind", raw.get("kind") or "event", KINDS)),
        title=require_text("title", raw.get("title"), TITLE_MAX, single_line=True),
        summary=require_text("summary", raw.get("summary"), SUMMARY_MAX),
        occurred=parse_fuzzy_date(raw.get("date"), "date"),
        countries=parse_countries(raw.get("countries")),
        domain=cast(Domain, parse_choice("domain", raw.get("domain"), DOMAINS)),
        tags=parse_tags(raw.get("tags")),
        importance=parse_importance(raw.get("importance")),
        why_it_matters=optional_text("why it matters", raw.get("why_it_matters"), WHY_MAX),
        sources=sources,
    )


def check_draft(draft: DevelopmentDraft) -> DevelopmentDraft:
    """The one gate into the catalogue: a draft however it was built (a form, an import,
    a feed candidate, a copy) passes the rules typed input passes, so nothing a rule forbids
    (control characters, search's hit markers, an over-long link) is ever stored."""
    return validate_development(draft.to_dict())


def check_development_text(raw: Mapping[str, Any]) -> None:
    """The first step of the development form: title, date, summary, sources and why it
    matters, checked before the second step asks for countries and domain."""
    require_text("title", raw.get("title"), TITLE_MAX, single_line=True)
    parse_fuzzy_date(raw.get("date"), "date")
    require_text("summary", raw.get("summary"), SUMMARY_MAX)
    parse_sources_text(str(raw.get("sources") or ""))
    optional_text("why it matters", raw.get("why_it_matters"), WHY_MAX)


def parse_trend(value: Any) -> Trend:
    """improving, unchanged or deteriorating."""
    return cast(Trend, parse_choice("trend", value, TRENDS))


def parse_watch_next(value: Any) -> tuple[str, ...]:
    """Up to five watch-next items, one per line (or a list)."""
    if isinstance(value, str):
        items = [line.strip(" -•\t") for line in clean_text(value).splitlines()]
    else:
        items = [clean_text(v) for v in (value or ())]
    items = [i for i in items if i]
    if len(items) > WATCH_ITEMS_MAX:
        raise InvalidInput(
            "watch next",
            _("at most {watch_items_max} items, one per line").format(
                watch_items_max=WATCH_ITEMS_MAX
            ),
        )
    for item in items:
        if len(item) > WATCH_ITEM_MAX:
            raise InvalidInput(
                "watch next",
                _("each item must be at most {watch_item_max} chars").format(
                    watch_item_max=WATCH_ITEM_MAX
                ),
            )
    return tuple(" ".join(i.split()) for i in items)


def parse_development_id(value: Any) -> int:
    """A development id as users type it: `12` or `#12`."""
    text = clean_text(value).lstrip("#")
    if not text.isdigit() or len(text) > 12 or int(text) == 0:
        raise InvalidInput(
            "id",
            _("{value!r} is not a development id (e.g. 12)").format(value=clean_text(value)[:20]),
        )
    return int(text)


def check_moderator_role(role_id: int, guild_id: int, *, managed: bool = False) -> int:
    """A role that may be the moderator role: never @everyone (whose id is the server's),
    which would make every member a moderator, nor a role an integration manages."""
    if role_id == guild_id:
        raise InvalidInput(
            "moderator role",
            _(
                "cannot be @everyone: that would make every member a moderator; pick a role only moderators have"
            ),
        )
    if managed:
        raise InvalidInput(
            "moderator role", _("cannot be a bot's or integration's own role; pick a server role")
        )
    return role_id
