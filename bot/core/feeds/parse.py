"""Feed documents (RSS 0.9x/1.0/2.0, Atom) to items, as far as a malformed feed goes."""

from __future__ import annotations

import calendar
import codecs
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import charset_normalizer
import feedparser

from bot.core.feeds.text import normalise_link, plain_text, shorten
from bot.core.validation import SUMMARY_MAX, TITLE_MAX, URL_MAX
from bot.domain.errors import InvalidInput

_HTML_PAGE = re.compile(rb"<html[\s>]|<!doctype html", re.IGNORECASE)
_ALTERNATE = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE
)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?>")
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._:-]+)[\"']")
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# A numeric character reference naming no character (a surrogate, beyond U+10FFFF, zero,
# or twenty digits long) makes the parser raise: it becomes U+FFFD before parsing.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


@dataclass(frozen=True)
class FeedItem:
    """One usable item: plain-text title and summary, canonical link, UTC date if given."""

    key: str  # GUID, else the canonical link: what "seen before" means
    link: str
    title: str
    summary: str
    published: datetime | None


@dataclass
class ParsedFeed:
    """A feed's title, its usable items, and why other items were skipped."""

    title: str
    items: list[FeedItem]
    skipped: Counter[str] = field(default_factory=Counter)
    malformed: bool = False


def _local_date(raw: Any) -> datetime | None:
    """The date as the publisher wrote it, in its own UTC offset (so an item of 08:00 on
    4 Dec in Seoul stays on 4 Dec); naive dates are taken as UTC."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    try:
        found = parsedate_to_datetime(text)  # RSS: RFC 822
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            found = datetime.fromisoformat(text.replace("Z", "+00:00"))  # Atom: RFC 3339
        except ValueError:
            return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _published(entry: Any) -> datetime | None:
    for key in ("published", "updated", "created"):
        local = _local_date(entry.get(key))
        if local is not None:
            return local
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                return None
    return None


def _item(entry: Any, skipped: Counter[str]) -> FeedItem | None:
    link = normalise_link(entry.get("link"))
    if link is None:
        skipped["no http(s) link"] += 1
        return None
    if len(link) > URL_MAX:  # the catalogue's rule for every link, feeds' too
        skipped[f"link over {URL_MAX} characters"] += 1
        return None
    title = plain_text(entry.get("title"))
    summary = plain_text(entry.get("summary") or entry.get("description"))
    if not title:
        if not summary:
            skipped["no title or summary"] += 1
            return None
        title = summary
    guid = str(entry.get("id") or "").strip()
    return FeedItem(
        key=(guid or link)[:500],
        link=link,
        title=shorten(title, TITLE_MAX),
        summary=shorten(summary or title, SUMMARY_MAX),
        published=_published(entry),
    )


def _valid_ref(match: re.Match[bytes]) -> bytes:
    digits = match[1] or match[2]
    if len(digits) > 8:
        return b"&#xFFFD;"
    code = int(digits, 16 if match[1] else 10)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return match[0]


def _declared(body: bytes, content_type: str | None) -> str | None:
    charset = _CHARSET.search(content_type or "")
    if charset:
        return charset[1]
    declaration = _XML_ENCODING.match(body[:512])
    return declaration[1].decode("ascii") if declaration else None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def as_utf8(body: bytes, content_type: str | None = None) -> tuple[bytes, str | None]:
    """The body in UTF-8 with a content type saying so, when what it declares (or UTF-8,
    when it declares nothing) cannot decode it: a detector then names the encoding
    (Shift_JIS sent as "UTF-8", undeclared EUC-KR, EUC-JP, GB2312…). Otherwise unchanged."""
    if body.startswith(_BOMS):
        return body, content_type
    declared = _declared(body, content_type)
    if declared and declared.lower() in ("us-ascii", "ascii"):
        declared = None  # what servers say of text/xml by default, not what they send
    if _decodes(body, declared or "utf-8"):
        return body, content_type
    best = charset_normalizer.from_bytes(body).best()
    if best is None:
        return body, content_type  # the parser falls back to windows-1252
    text = str(best)
    declaration = "<?xml version='1.0' encoding='utf-8'?>"
    if _XML_DECLARATION.match(body):
        text = re.sub(r"^\s*<\?xml[^>]*?>", declaration, text, count=1)
    mime = (content_type or "application/xml").split(";", 1)[0].strip()
    return text.encode("utf-8"), f"{mime}; charset=utf-8"


def parse_feed(body: bytes, content_type: str | None = None, url: str = "") -> ParsedFeed:
    """Parse a fetched body. An HTML page, a body with no feed in it or one the parser
    cannot read is `InvalidInput` (saying so, with the page's own feed link, made
    absolute, when it advertises one). Relative links are resolved against `url`."""
    body, content_type = as_utf8(body, content_type)
    body = _CHAR_REF.sub(_valid_ref, body)
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    try:
        parsed = feedparser.parse(body, response_headers=headers)
    except Exception as exc:  # feedparser has many ways to fail on hostile input
        raise InvalidInput(
            "url", f"{url or 'the address'} could not be read as a feed ({type(exc).__name__})"
        ) from None
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        head = body[:65536]
        if _HTML_PAGE.search(head):
            hint = ""
            link = _ALTERNATE.search(head)
            href = _HREF.search(link[0]) if link else None
            if href:
                found = urljoin(url, href[1].decode("utf-8", "replace").strip())
                hint = f"; its feed seems to be {found[:300]}"
            raise InvalidInput("url", f"{url or 'the address'} is a web page, not a feed{hint}")
        raise InvalidInput("url", f"{url or 'the address'} does not contain an RSS or Atom feed")
    skipped: Counter[str] = Counter()
    items = []
    for entry in parsed.entries:
        try:
            item = _item(entry, skipped)
        except (ValueError, OverflowError, UnicodeError):  # one bad item, not the feed
            skipped["unreadable"] += 1
            continue
        if item is not None:
            items.append(item)
    title = shorten(plain_text(parsed.feed.get("title")), 200)
    return ParsedFeed(title=title, items=items, skipped=skipped, malformed=bool(parsed.bozo))
