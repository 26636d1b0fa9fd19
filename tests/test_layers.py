"""The house's layers, read from the source: domain below storage below the core services,
front ends on top and never reaching storage, and no import cycle between packages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = ("bot", "storage", "templates")
# The Discord front end: its client and its cogs, in one package.
DISCORD = ("bot.discord",)
FRONT_ENDS = ("bot.discord", "bot.telegram", "bot.cli")


def module_name(path: Path) -> str:
    """`bot/core/briefs.py` → `bot.core.briefs`; a package's `__init__` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every first-party module a file imports, at any depth (TYPE_CHECKING included:
    a layer that needs another's types depends on it)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from bot.core import lookup` imports a module; `from bot import __version__`
            # a name of the package itself.
            names = [base] + [
                f"{base}.{alias.name}" for alias in node.names if is_module(f"{base}.{alias.name}")
            ]
        else:
            continue
        yield from (n for n in names if n.split(".")[0] in FIRST_PARTY)


def is_module(name: str) -> bool:
    """Whether a dotted name is one of the project's modules or packages."""
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> str:
    """The package a module belongs to: a sub-package of `bot` (or one of its top-level
    modules, each a layer of its own), `storage` or `templates`."""
    if module.startswith(DISCORD):
        return "bot.discord"
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 1 else parts[0]


def sources() -> Iterator[Path]:
    """The project's own Python files."""
    for top in FIRST_PARTY:
        yield from sorted((ROOT / top).rglob("*.py"))


def dependencies() -> dict[str, set[tuple[str, str]]]:
    """layer → {(importing module, imported module)} crossing into another layer."""
    edges: dict[str, set[tuple[str, str]]] = {}
    for path in sources():
        source = module_name(path)
        for target in imports_of(path):
            if layer(target) != layer(source):
                edges.setdefault(layer(source), set()).add((source, target))
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph`, as the list of its nodes, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def crossings(source_layer: str, forbidden: tuple[str, ...]) -> list[str]:
    """`importer -> imported` lines of `source_layer` reaching any `forbidden` layer."""
    return sorted(
        f"{src} -> {dst}"
        for src, dst in dependencies().get(source_layer, set())
        if layer(dst).startswith(forbidden)
    )


def test_no_import_cycle_between_packages() -> None:
    graph = {src: {layer(dst) for _, dst in pairs} for src, pairs in dependencies().items()}
    assert find_cycle(graph) is None


def test_no_front_end_imports_storage() -> None:
    for front_end in FRONT_ENDS:
        assert crossings(front_end, ("storage",)) == [], front_end


def test_storage_imports_only_the_domain() -> None:
    assert crossings("storage", ("bot.core", "bot.services", "bot.cli", "bot.discord")) == []
    reached = {layer(dst) for _, dst in dependencies().get("storage", set())}
    assert reached <= {"bot.domain"}


def test_domain_imports_neither_core_nor_storage() -> None:
    assert dependencies().get("bot.domain", set()) == set()


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
