"""Names that say what they hold: no two classes of the project share a name (there were
three unrelated `Settings`), and the renderers are grouped as renderers."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from bot.config import Settings
from bot.core.rendering import Renderer
from bot.services import open_services

ROOT = Path(__file__).resolve().parent.parent


def test_no_two_classes_share_a_name() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for top in ("bot", "storage"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    where[node.name].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


async def test_services_hold_renderers_by_output(tmp_path: Path) -> None:
    services = await open_services(Settings(database_path=tmp_path / "db.sqlite3"), starter=False)
    try:
        assert isinstance(services.renderers.discord, Renderer)
        assert services.renderers.discord.flavor == "discord"
        assert services.renderers.terminal.flavor == "terminal"
    finally:
        await services.close()
