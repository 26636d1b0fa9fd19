"""Feed documents (RSS 0.9x/1.0/2.0, Atom) to items, as far as a malformed feed goes."""

from __future__ import annotations

import calendar
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.core.feeds.text import normalise_link, plain_text, shorten
from bot.core.validation import SUMMARY_MAX, TITLE_MAX, URL_MAX
from bot.domain.errors import InvalidInput

_HTML_PAGE = re.compile(rb"<html[\s>]|<!doctype html", re.IGNORECASE)
_ALTERNATE = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE
)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)


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


def _published(entry: Any) -> datetime | None:
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


def parse_feed(body: bytes, content_type: str | None = None, url: str = "") -> ParsedFeed:
    """Parse a fetched body. An HTML page or a body with no feed in it is `InvalidInput`
    (saying so, with the page's own feed link when it advertises one)."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        head = body[:65536]
        if _HTML_PAGE.search(head):
            hint = ""
            link = _ALTERNATE.search(head)
            href = _HREF.search(link[0]) if link else None
            if href:
                hint = f"; its feed seems to be {href[1].decode('utf-8', 'replace')[:200]}"
            raise InvalidInput("url", f"{url or 'the address'} is a web page, not a feed{hint}")
        raise InvalidInput("url", f"{url or 'the address'} does not contain an RSS or Atom feed")
    skipped: Counter[str] = Counter()
    items = []
    for entry in parsed.entries:
        item = _item(entry, skipped)
        if item is not None:
            items.append(item)
    title = shorten(plain_text(parsed.feed.get("title")), 200)
    return ParsedFeed(title=title, items=items, skipped=skipped, malformed=bool(parsed.bozo))
