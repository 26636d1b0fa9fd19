"""A Babel extractor for Discord command text: besides the usual `_()`/`N_()` calls, the
strings Discord shows in its command picker — `description=` of commands and groups,
every `@app_commands.describe(...)` value and `Choice(name=...)` — which discord.py hands
to the tree's translator (`bot.discord.exts._translator`). Names stay English (Discord's rules)."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any, cast

from babel.messages.extract import extract_python

Message = tuple[int, str | None, Any, list[str]]
DESCRIBED = {"command", "Group", "describe", "Choice", "ContextMenu"}
TEXT_KEYWORDS = {"description", "name"}


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def command_text(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every description, parameter description and choice name."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _called(node) not in DESCRIBED:
            continue
        called = _called(node)
        for keyword in node.keywords:
            value = keyword.value
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                continue
            if called == "describe" or (
                keyword.arg in TEXT_KEYWORDS
                and (keyword.arg == "description" or called == "Choice")
            ):
                yield value.lineno, value.value


def extract_discord(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[Message]:
    """Babel's Python extraction plus the command text discord.py translates."""
    source = fileobj.read()
    fileobj.seek(0)
    # Babel's own result type describes extract()'s output, not an extractor's: cast.
    yield from cast(
        Iterator[Message],
        extract_python(fileobj, keywords, comment_tags, options),  # type: ignore[arg-type]
    )
    for line, text in command_text(source.decode("utf-8")):
        yield line, None, text, []
