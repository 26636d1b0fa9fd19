"""Splitting long text at Discord's limits: between lines, else between words, never
silently cutting anything."""

from __future__ import annotations

import re
from collections.abc import Callable

CONTINUED = "…"


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, split at line ends where possible.

    A single line longer than `limit` is split between words, and a single word longer
    than `limit` is cut with a '…' marker at the end of the part it leaves.
    """
    if limit < 10:
        raise ValueError("limit too small to split sensibly")
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _split_line(line, limit):
            candidate = piece if not current else f"{current}\n{piece}"
            if len(candidate) <= limit:
                current = candidate
            else:
                if current.strip():
                    parts.append(current.rstrip())
                current = piece
    if current.strip():
        parts.append(current.rstrip())
    return parts or [""]


def _split_line(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        while len(word) > limit:
            room = limit - len(current) - (1 if current else 0) - len(CONTINUED)
            if room < 1:
                pieces.append(current)
                current = ""
                continue
            head, word = word[:room], word[room:]
            pieces.append(f"{current} {head}{CONTINUED}".strip() if current else head + CONTINUED)
            current = ""
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def split_items(
    text: str,
    limit: int,
    size: Callable[[str], int] = len,
    *,
    long: Callable[[str, int, Callable[[str], int]], list[str]] | None = None,
) -> list[str]:
    """Parts of at most `limit` characters, split only between items.

    An item is a line plus the lines after it that start with a space (its continuation),
    so markup that never spans lines (Telegram HTML as our templates write it) stays
    balanced in every part. An item longer than `limit` on its own is split by `split_text`.
    `size` measures a text (Telegram counts UTF-16 code units, not characters).
    """
    items: list[str] = []
    for line in text.split("\n"):
        if items and line.startswith(" ") and line.strip():
            items[-1] += "\n" + line
        else:
            items.append(line)
    parts: list[str] = []
    current = ""
    for item in items:
        candidate = item if not current else f"{current}\n{item}"
        if size(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip("\n"))
        if size(item) <= limit:
            current = item
        else:
            pieces = long(item, limit, size) if long else split_text(item, limit)
            parts.extend(pieces[:-1])
            current = pieces[-1]
    if current.strip():
        parts.append(current.strip("\n"))
    return parts or [""]


# A tag, or a space or line end: the places an HTML text may be cut.
_TAG_OR_BREAK = re.compile(r"<[^>]*>|[ \n]")
_ANY_TAG = re.compile(r"<[^>]*>")
_ENTITY_TAIL = re.compile(r"&[#\w]*$")


def split_markup(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Parts of at most `limit` of HTML (Telegram's subset), cut only between entities:
    never inside a tag, between an opening tag and its end (a link stays one link), or
    inside `&amp;`-style escapes. Items (see `split_items`) are kept whole where they fit;
    a longer one is cut at the spaces and line ends outside any element. A single element
    longer than a part loses its markup (its text is kept, escaped as it was)."""
    return split_items(text, limit, size, long=_split_between_elements)


def _split_between_elements(text: str, limit: int, size: Callable[[str], int]) -> list[str]:
    words: list[tuple[str, str]] = []  # (separator before, word)
    depth, start, sep = 0, 0, ""
    for match in _TAG_OR_BREAK.finditer(text):
        token = match.group()
        if token in (" ", "\n"):
            if depth == 0:
                words.append((sep, text[start : match.start()]))
                start, sep = match.end(), token
        elif token.startswith("</"):
            depth = max(0, depth - 1)
        elif not token.endswith("/>"):
            depth += 1
    words.append((sep, text[start:]))
    parts: list[str] = []
    current = ""
    for sep, word in words:
        candidate = f"{current}{sep}{word}" if current else word
        if size(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current)
        if size(word) <= limit:
            current = word
            continue
        pieces = _cut_plain(_ANY_TAG.sub("", word), limit, size)
        parts.extend(pieces[:-1])
        current = pieces[-1]
    if current.strip():
        parts.append(current)
    return parts or [""]


def _cut_plain(text: str, limit: int, size: Callable[[str], int]) -> list[str]:
    """Escaped text without tags in pieces of at most `limit`, each but the last marked
    '…', never cutting an `&…;` escape."""
    pieces: list[str] = []
    while size(text) > limit:
        cut = limit - len(CONTINUED)
        while cut > 1 and size(text[:cut]) > limit - len(CONTINUED):
            cut -= 1
        head = text[:cut]
        tail = _ENTITY_TAIL.search(head)
        if tail is not None and tail.start() > 0:
            head = head[: tail.start()]
        pieces.append(head + CONTINUED)
        text = text[len(head) :]
    pieces.append(text)
    return pieces
