"""Every embed page stays within Discord's limits, the 6,000-character total included."""

from __future__ import annotations

from pathlib import Path

from bot.core.rendering import Renderer
from bot.discord.exts._common import EMBED_TOTAL_MAX, embed_pages

TEMPLATE = """{% block title %}{{ title }}{% endblock %}
{% block description %}{{ lines|join("\\n") }}{% endblock %}
{% block footer %}{{ footer }}{% endblock %}"""


def test_long_title_and_footer_leave_each_page_under_the_embed_total(tmp_path: Path) -> None:
    (tmp_path / "discord").mkdir()
    (tmp_path / "discord" / "big.j2").write_text(TEMPLATE, encoding="utf-8")
    lines = [f"line {n:03d} " + "x" * 40 for n in range(200)]
    pages = embed_pages(
        Renderer("discord", tmp_path), "big.j2", title="T" * 400, footer="F" * 1990, lines=lines
    )
    assert len(pages) > 1
    for page in pages:
        assert len(page) <= EMBED_TOTAL_MAX  # discord.py counts title, description, footer
        assert page.description is not None and len(page.description) <= 4096
    text = "\n".join(page.description or "" for page in pages)
    assert all(line in text for line in lines)  # nothing lost between pages
