"""Jinja rendering for every user-facing answer, in two flavours.

`discord` produces Discord markdown: every `{{ value }}` is escaped (markdown and mentions)
unless a filter marked it `Safe`; a macro's output is already escaped and is not escaped again. `terminal` produces plain text with control characters
stripped. An operator's TEMPLATES_DIR overrides bundled templates file by file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import nodes
from markupsafe import Markup

from bot.core.clock import parse_utc
from bot.core.models import Development, FuzzyDate, Source
from storage.catalogue import HIT_END, HIT_START
from templates import TEMPLATES_DIR

Flavor = Literal["discord", "terminal"]

_MD_CHARS = re.compile(r"([\\*_~|`\[\]<>])")
_MD_LINE_START = re.compile(r"^(\s*)([#>\-+]|\d+\.)", re.MULTILINE)
_MENTION = re.compile(r"@(?=\S)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
TRENDS = {
    "discord": {
        "improving": "📈 improving",
        "unchanged": "➡️ unchanged",
        "deteriorating": "📉 deteriorating",
    },
    "terminal": {
        "improving": "↑ improving",
        "unchanged": "→ unchanged",
        "deteriorating": "↓ deteriorating",
    },
}


class Safe(str):
    """Text already formatted for its flavour: templates print it as is."""


def _escape_line_start(match: re.Match[str]) -> str:
    """`1.` becomes `1\\.` (a backslash before a digit would show); `#`, `>`, `-` get one before."""
    mark = match[2]
    return match[1] + (mark[:-1] + "\\." if mark.endswith(".") else "\\" + mark)


def md_escape(text: str) -> str:
    """Escape Discord markdown and defuse mentions (@everyone, <@id>, <@&id>, <#id>)."""
    text = _CONTROL.sub("", text)
    text = _MD_CHARS.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(_escape_line_start, text)
    return _MENTION.sub("@\u200b", text)


def plain(text: str) -> str:
    """Terminal text: no control characters (no ANSI escapes from stored data)."""
    return _CONTROL.sub("", text)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with '…' when shortened."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + "…"


class Renderer:
    """Renders named templates of one flavour."""

    def __init__(self, flavor: Flavor, override_dir: Path | None = None) -> None:
        self.flavor = flavor
        # Cached: the same titles, publishers and labels recur across answers, and escaping
        # (four regex passes) was a fifth of rendering a brief.
        escape = _cached(md_escape if flavor == "discord" else plain)
        search_path = [TEMPLATES_DIR / flavor]
        if override_dir is not None:
            search_path.insert(0, override_dir / flavor)
            search_path.insert(1, override_dir)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in search_path]),
            undefined=jinja2.StrictUndefined,
            # Autoescape only so that macro output comes back marked (Markup) and is not
            # escaped twice; the escaping itself is `finalize`'s, never HTML's.
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            finalize=lambda v: self._finalize(v, escape),
        )
        self.env.filters.update(
            date=self.f_date,
            source=self.f_source,
            hits=self.f_hits,
            trend=lambda t: Safe(TRENDS[flavor][t]),
            truncate_words=truncate,
            when=self.f_when,
            esc=lambda t: Safe(escape(str(t))),
            join=_join,
        )
        self.env.globals["flavor"] = flavor
        self._block_imports: dict[str, tuple[jinja2.Template, dict[str, Any]]] = {}

    @staticmethod
    def _finalize(value: Any, escape: Any) -> Markup:
        if value is None:
            return Markup("")
        if isinstance(value, Safe | Markup):
            return Markup(value)
        return Markup(escape(str(value)))

    def render(self, name: str, **context: Any) -> str:
        """The whole template `name` (e.g. 'brief.j2'), stripped of edge blank lines."""
        return self.env.get_template(name).render(**context).strip()

    def render_block(self, name: str, block: str, **context: Any) -> str:
        """One `{% block %}` of a template, e.g. the embed title of a brief."""
        template = self.env.get_template(name)
        ctx = template.new_context(context)
        ctx.vars.update(self._top_level_imports(template))
        return "".join(template.blocks[block](ctx)).strip()

    def _top_level_imports(self, template: jinja2.Template) -> dict[str, Any]:
        """The macros a template's top-level `{% from … import … %}` brings in.

        Those tags run in the template's root render function, so a block rendered on its
        own would not see them (`'dev_line' is undefined`); cached per loaded template.
        """
        name = template.name or ""
        cached = self._block_imports.get(name)
        if cached is not None and cached[0] is template:
            return cached[1]
        assert self.env.loader is not None
        source = self.env.loader.get_source(self.env, name)[0]
        imported: dict[str, Any] = {}
        for node in self.env.parse(source).body:
            if isinstance(node, nodes.FromImport) and isinstance(node.template, nodes.Const):
                module = self.env.get_template(node.template.value, parent=name).module
                for item in node.names:
                    real, alias = item if isinstance(item, tuple) else (item, item)
                    imported[alias] = getattr(module, real)
        self._block_imports[name] = (template, imported)
        return imported

    # --- filters -------------------------------------------------------------------------

    def f_date(self, value: Development | FuzzyDate | date | str) -> str:
        """A development's or fuzzy date's label: 16 Mar 2023, Mar 2023, 2023."""
        if isinstance(value, Development):
            return value.occurred.label()
        if isinstance(value, FuzzyDate):
            return value.label()
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return f"{value.day} {value:%b %Y}"

    def f_when(self, stamp: str) -> Safe:
        """A stored UTC timestamp: a Discord timestamp, or 'YYYY-MM-DD HH:MM UTC'."""
        moment = parse_utc(stamp)
        if self.flavor == "discord":
            return Safe(f"<t:{int(moment.timestamp())}:f>")
        return Safe(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def f_source(self, source: Source, limit: int = 120) -> Safe:
        """A source as a masked link (Discord) or a citation line (terminal)."""
        escape = md_escape if self.flavor == "discord" else plain
        title = escape(truncate(source.title, limit))
        accessed = None if source.published_on else source.accessed_on
        extra = ", ".join(
            escape(p)
            for p in (source.publisher, source.published_on, accessed and f"accessed {accessed}")
            if p
        )
        if self.flavor == "discord":
            text = f"[{title}](<{_url_safe(source.url)}>)" if source.url else f"*{title}*"
            return Safe(f"{text} — {extra}" if extra else text)
        text = f"“{title}”" + (f", {extra}" if extra else "")
        return Safe(f"{text} <{plain(source.url)}>" if source.url else text)

    def f_hits(self, snippet: str) -> Safe:
        """A search snippet with hits in bold (Discord) or «guillemets» (terminal)."""
        escape = md_escape if self.flavor == "discord" else plain
        text = escape(" ".join(snippet.split()))
        start, end = ("**", "**") if self.flavor == "discord" else ("«", "»")
        return Safe(text.replace(HIT_START, start).replace(HIT_END, end))


def _cached(escape: Callable[[str], str]) -> Callable[[str], str]:
    """`escape` remembering its last few thousand answers (pure: same text, same result)."""
    return functools.lru_cache(maxsize=2048)(escape)


def _join(values: Any, separator: str = "") -> str:
    """Jinja's `join` without its HTML escaping: the joined text is escaped on output."""
    return separator.join(str(v) for v in values)


def _url_safe(url: str) -> str:
    """A URL that cannot close the markdown link around it."""
    return url.replace(">", "%3E").replace("<", "%3C").replace(")", "%29").replace(" ", "%20")


def now_label(moment: datetime) -> str:
    """'2026-11-25 18:00 UTC' for footers."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
