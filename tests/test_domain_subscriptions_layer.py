"""The digest domain types sit below both the services and storage (issue 15)."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[1] / "bot" / "domain"


def test_the_subscription_domain_imports_neither_services_nor_storage() -> None:
    for name in ("schedule.py", "subscriptions.py"):
        tree = ast.parse((DOMAIN / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
            elif isinstance(node, ast.Import):
                module = ",".join(a.name for a in node.names)
            else:
                continue
            assert not module.startswith(("bot.core", "storage", "bot.discord.exts")), (
                name,
                module,
            )
