"""Jinja rendering for every user-facing answer, in three flavours.

`discord` produces Discord markdown: every `{{ value }}` is escaped (markdown and mentions)
unless a filter marked it `Safe`; a macro's output is already escaped and is not escaped again. `terminal` produces plain text with control characters
stripped. `telegram` produces Telegram HTML (parse mode HTML): every value is HTML-escaped
and mentions are defused the same way. An operator's TEMPLATES_DIR overrides bundled templates file by file.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Callable
from datetime import UTC, date
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import nodes
from markupsafe import Markup

from bot import i18n
from bot.domain.clock import parse_utc
from bot.domain.models import Development, FuzzyDate, Source
from bot.domain.wording import N_
from storage.catalogue import HIT_END, HIT_START
from templates import TEMPLATES_DIR

Flavor = Literal["discord", "terminal", "telegram"]

_MD_CHARS = re.compile(r"([\\*_~|`\[\]<>])")
_MD_LINE_START = re.compile(r"^(\s*)([#>\-+]|\d+\.)", re.MULTILINE)
_MENTION = re.compile(r"@(?=\S)")
# Discord turns `scheme://…` and invite hosts (discord.gg/…) in plain text into live links.
_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]{0,30}):(?=//)", re.IGNORECASE)
_INVITE_HOST = re.compile(r"\b(discord(?:app)?)\.(?=(?:gg|com|io|me|li|new)\b)", re.IGNORECASE)
ZWSP = "\u200b"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
TREND_MARKS = {
    "discord": {"improving": "📈", "unchanged": "➡️", "deteriorating": "📉"},
    "telegram": {"improving": "📈", "unchanged": "➡️", "deteriorating": "📉"},
    "terminal": {"improving": "↑", "unchanged": "→", "deteriorating": "↓"},
}
TREND_WORDS = {
    "improving": N_("improving"),
    "unchanged": N_("unchanged"),
    "deteriorating": N_("deteriorating"),
}


class Safe(str):
    """Text already formatted for its flavour: templates print it as is."""


def _escape_line_start(match: re.Match[str]) -> str:
    """`1.` becomes `1\\.` (a backslash before a digit would show); `#`, `>`, `-` get one before."""
    mark = match[2]
    return match[1] + (mark[:-1] + "\\." if mark.endswith(".") else "\\" + mark)


def defuse_links(text: str) -> str:
    """Bare links and invites stay readable but are no longer links (`https:\u200b//…`)."""
    text = _SCHEME.sub(lambda m: m[1] + ":" + ZWSP, text)
    return _INVITE_HOST.sub(lambda m: m[1] + ZWSP + ".", text)


# Every character that one of md_escape's passes needs to change anything: a control
# character, a markdown character, a line-start mark (`#`, `>`, `-`, `+`, or `1.`), `@`,
# the `:` of `scheme://` and the `.` of `discord.gg`. Text with none of them (most titles,
# publishers and labels) is returned as it is after one scan instead of six.
_MD_TRIGGERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\\*_~|`\[\]<>#+\-.:@]")


def md_escape(text: str) -> str:
    """Escape Discord markdown, defuse mentions (@everyone, <@id>, <@&id>, <#id>) and bare
    links (`http://…`, `discord.gg/…`): stored text never becomes a live link or ping."""
    if not _MD_TRIGGERS.search(text):
        return text
    return md_escape_every_pass(text)


def md_escape_every_pass(text: str) -> str:
    """`md_escape` without its shortcut (every pass runs)."""
    text = defuse_links(_CONTROL.sub("", text))
    text = _MD_CHARS.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(_escape_line_start, text)
    return _MENTION.sub("@\u200b", text)


def plain(text: str) -> str:
    """Terminal text: no control characters (no ANSI escapes from stored data)."""
    return _CONTROL.sub("", text)


def html_escape(text: str) -> str:
    """Telegram HTML: `<`, `>`, `&` and quotes escaped, control characters dropped and
    mentions defused (a zero-width space after `@`, as for Discord)."""
    text = html.escape(_CONTROL.sub("", text), quote=True)
    return _MENTION.sub("@\u200b", text)


ESCAPES = {"discord": md_escape, "terminal": plain, "telegram": html_escape}


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with '…' when shortened."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + "…"


@functools.cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between processes (in Jinja's per-user temporary folder): a
    one-shot command such as `briefbot brief` compiled its template on every run, a fifth of
    its time. The file names carry a digest of this module, whose options (`finalize`, the
    i18n extension, whitespace) shape the compiled code as much as the template does; Jinja
    checks each template's own source."""
    try:
        digest = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:12]
        return jinja2.FileSystemBytecodeCache(pattern=f"__briefbot_{digest}_%s.cache")
    except (OSError, RuntimeError):  # no safe folder of our own: compile every time
        return None


class Renderer:
    """Renders named templates of one flavour."""

    def __init__(self, flavor: Flavor, override_dir: Path | None = None) -> None:
        self.flavor = flavor
        # Cached: the same titles, publishers and labels recur across answers, and escaping
        # (four regex passes) was a fifth of rendering a brief.
        escape = _cached(ESCAPES[flavor])
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
            extensions=["jinja2.ext.i18n"],
            bytecode_cache=_bytecode_cache(),
        )
        self._install_gettext(escape)
        self.env.filters.update(
            date=self.f_date,
            source=self.f_source,
            hits=self.f_hits,
            trend=lambda t: Safe(f"{TREND_MARKS[flavor][t]} {i18n.gettext(TREND_WORDS[t])}"),
            tr=lambda text: i18n.gettext(str(text)),
            listing=lambda items: i18n.listing(list(items)),
            countries=i18n.country_names,
            schedule=i18n.describe_schedule,
            digest_filter=i18n.describe_filter,
            truncate_words=truncate,
            when=self.f_when,
            esc=lambda t: Safe(escape(str(t))),
            join=_join,
        )
        self.env.globals["flavor"] = flavor
        self._block_imports: dict[str, tuple[jinja2.Template, dict[str, Any]]] = {}

    def _install_gettext(self, escape: Any) -> None:
        """`_()`, `{% trans %}` and `{% pluralize %}` in the current locale (a ContextVar),
        new-style (`%(name)s` placeholders). Jinja's own new-style wrappers would
        HTML-escape the placeholders' values; these escape them for the flavour instead."""
        self.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self.env.policies["ext.i18n.trimmed"] = True

        def values(variables: dict[str, Any]) -> dict[str, Markup]:
            return {k: self._finalize(v, escape) for k, v in variables.items()}

        def gettext(message: str, **variables: Any) -> Markup:
            return Markup(i18n.gettext(message) % values(variables))

        def ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
            variables.setdefault("num", n)
            return Markup(i18n.ngettext(singular, plural, n) % values(variables))

        self.env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext)

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
        """A development's or fuzzy date's label in the reader's language: 16 Mar 2023,
        Mar 2023, 2023; 2023年3月16日; 2023년 3월 16일."""
        if isinstance(value, Development):
            return i18n.date_label(value.occurred)
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return i18n.date_label(value)

    def f_when(self, stamp: str) -> Safe:
        """A stored UTC timestamp: a Discord timestamp, or 'YYYY-MM-DD HH:MM UTC' elsewhere."""
        moment = parse_utc(stamp)
        if self.flavor == "discord":
            return Safe(f"<t:{int(moment.timestamp())}:f>")
        return Safe(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def f_source(self, source: Source, limit: int = 120) -> Safe:
        """A source as a masked link (Discord, Telegram) or a citation line (terminal)."""
        escape = ESCAPES[self.flavor]
        title = escape(truncate(source.title, limit))
        accessed = None if source.published_on else source.accessed_on
        extra = ", ".join(
            escape(p)
            for p in (
                source.publisher,
                source.published_on,
                accessed and i18n.gettext("accessed %(date)s") % {"date": accessed},
            )
            if p
        )
        if self.flavor == "discord":
            text = f"[{title}](<{_url_safe(source.url)}>)" if source.url else f"*{title}*"
            return Safe(f"{text} — {extra}" if extra else text)
        if self.flavor == "telegram":
            url = source.url or ""
            # Only web links become links: any other scheme is shown as plain text.
            link = url.lower().startswith(("https://", "http://"))
            text = f'<a href="{html.escape(url)}">{title}</a>' if link else f"<i>{title}</i>"
            return Safe(f"{text} — {extra}" if extra else text)
        text = f"“{title}”" + (f", {extra}" if extra else "")
        return Safe(f"{text} <{plain(source.url)}>" if source.url else text)

    def f_hits(self, snippet: str) -> Safe:
        """A search snippet with hits in bold (Discord, Telegram) or «guillemets» (terminal)."""
        escape = ESCAPES[self.flavor]
        text = escape(" ".join(snippet.split()))
        start, end = {"discord": ("**", "**"), "telegram": ("<b>", "</b>")}.get(
            self.flavor, ("«", "»")
        )
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
