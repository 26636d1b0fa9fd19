"""Splitting long text at Discord's limits: between lines, else between words, never
silently cutting anything."""

from __future__ import annotations

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


def split_items(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
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
            pieces = split_text(item, limit)
            parts.extend(pieces[:-1])
            current = pieces[-1]
    if current.strip():
        parts.append(current.strip("\n"))
    return parts or [""]
