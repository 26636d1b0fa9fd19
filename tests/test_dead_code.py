"""No dead code: every top-level function, class and constant of bot/ and storage/ is used
somewhere besides its own definition (code, templates, the benchmark or the tests)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFINED_IN = ("bot", "storage")
USED_IN = ("bot", "storage", "templates", "bench", "tests", "harness")


def definitions(path: Path) -> Iterator[str]:
    """Top-level functions, classes and UPPER_CASE constants of a module."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            yield from (t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())


def test_every_definition_is_used() -> None:
    texts = {
        p: p.read_text(encoding="utf-8")
        for top in USED_IN
        for p in (ROOT / top).rglob("*")
        if p.suffix in (".py", ".j2")
    }
    unused = []
    for top in DEFINED_IN:
        for path in sorted((ROOT / top).rglob("*.py")):
            for name in definitions(path):
                word = re.compile(rf"\b{re.escape(name)}\b")
                if len(word.findall(texts[path])) > 1:
                    continue  # used in its own module
                if not any(word.search(text) for p, text in texts.items() if p != path):
                    unused.append(f"{path.relative_to(ROOT)}: {name}")
    assert unused == []
