"""Rendering: real templates in both flavours, escaping, StrictUndefined, overrides."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_settings
from bot.core import lookup
from bot.core.briefs import compose_brief
from bot.core.catalogue import Catalogue
from bot.core.rendering import Renderer, md_escape, md_escape_every_pass, plain, truncate
from storage import catalogue as queries
from storage.contract import Db
from tests.helpers import EDITOR, FixedClock, draft, require_search

HOSTILE_TITLE = "@everyone <@&1> **x** ` [a](https://evil) @here <@123> <#9> ||spoiler||"


@pytest.fixture
def db(any_db: Db) -> Db:
    """These tests run on SQLite and on PostgreSQL."""
    return any_db


@pytest.fixture
def empty_db(any_empty_db: Db) -> Db:
    """Without the starter dataset, on either backend."""
    return any_empty_db


def _unescaped(text: str, token: str) -> bool:
    """Whether `token` appears without a backslash before it."""
    return re.search(r"(?<!\\)" + re.escape(token), text) is not None


def assert_discord_safe(text: str) -> None:
    assert "@everyone" not in text and "@here" not in text
    assert "<@&1>" not in text and "<@123>" not in text and "<#9>" not in text
    assert not _unescaped(text.replace("\\*\\*", ""), "**x")
    # The templates' own code spans (`#12`, `/timeline x`) aside, every backtick is escaped.
    assert "`" not in re.sub(r"`[#/][^`\n]*`", "", text.replace("\\`", ""))
    assert "[a](https://evil)" not in text


def test_md_escape() -> None:
    escaped = md_escape(HOSTILE_TITLE)
    assert_discord_safe(escaped)
    assert "\\*\\*x\\*\\*" in escaped
    assert "\\`" in escaped
    assert "\\[a\\](https:\u200b//evil)" in escaped
    assert md_escape("# heading\n> quote\n- item\n1. one") == (
        "\\# heading\n\\> quote\n\\- item\n1\\. one"
    )
    assert md_escape("a\x1b[31mred") == "a\\[31mred"


# Discord's own auto-linking: a scheme followed by //, or an invite host with a path.
_AUTOLINK = re.compile(r"[a-z][a-z0-9+.-]*://\S|discord(app)?\.(gg|com|io|me|li|new)/", re.I)


@pytest.mark.parametrize(
    "title",
    [
        "Read http://evil.example/login now",
        "HTTPS://EVIL.EXAMPLE in capitals",
        "Join discord.gg/raid today",
        "Or discord.com/invite/raid and discordapp.com/invite/raid",
        "ftp://files.example and steam://run/1",
    ],
)
def test_bare_links_and_invites_are_not_live(title: str) -> None:
    escaped = md_escape(title)
    assert not _AUTOLINK.search(escaped), escaped
    # Still readable: only an invisible character was added.
    assert escaped.replace("\u200b", "") == title


async def test_a_stored_title_with_a_link_renders_dead(db: Db, clock: FixedClock) -> None:
    catalogue = Catalogue(db, clock)
    dev = await catalogue.add(EDITOR, draft(title="Invite: discord.gg/raid and http://x.example"))
    text = Renderer("discord").render("development.j2", d=dev)
    assert "discord.gg/" not in text and "http://" not in text
    assert "](<https://example.org/ministers>)" in text  # a source keeps its masked link


def test_plain_strips_ansi_and_bidi() -> None:
    assert plain("\x1b[2J\x1b[31mred\x07\u202etext") == "[2J[31mredtext"
    assert "\x1b" not in plain("\x1b]0;title\x07")
    assert plain("keep\nnewlines\tand tabs") == "keep\nnewlines\tand tabs"


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("the quick brown fox jumps over the lazy dog", 20)
    assert len(cut) <= 20 and cut.endswith("…")
    assert "the quick brown fox jumps".startswith(cut[:-1])
    assert len(truncate("x" * 50, 10)) == 10


async def test_hostile_text_is_escaped_in_discord(catalogue: Catalogue, db: Db) -> None:
    require_search(db)
    dev = await catalogue.add(
        EDITOR,
        draft(
            title=HOSTILE_TITLE,
            summary=HOSTILE_TITLE,
            why_it_matters=HOSTILE_TITLE,
            sources=[
                {
                    "title": "@everyone **bold**",
                    "publisher": "<@&1>",
                    "url": "https://evil.example/a)b>c",
                }
            ],
            importance="3",
        ),
    )
    discord = Renderer("discord")
    shown = discord.render("development.j2", d=dev)
    assert_discord_safe(shown)
    assert "https://evil.example/a%29b%3Ec" in shown
    brief = await compose_brief(db, "japan-korea", None, clock=FixedClock())
    assert dev.id in [i.development.id for i in brief.key]
    assert_discord_safe(discord.render("brief.j2", brief=brief))
    results = await lookup.search(db, "everyone", None)
    assert_discord_safe(discord.render("search.j2", results=results))
    timeline = await lookup.timeline(db, "japan-korea", None)
    assert_discord_safe(discord.render("timeline.j2", timeline=timeline))
    revisions = await queries.list_revisions(db, dev.id)
    assert_discord_safe(discord.render("history.j2", d=dev, revisions=revisions))


async def test_terminal_strips_control_characters(catalogue: Catalogue, db: Db) -> None:
    nasty = "Evil \x1b[31mred\x1b[0m title \u202eReversed"
    dev = await catalogue.add(EDITOR, draft(summary=f"{nasty}\nsecond line", importance="3"))
    terminal = Renderer("terminal")
    for text in (
        terminal.render("development.j2", d=dev),
        terminal.render(
            "brief.j2", brief=await compose_brief(db, "japan-korea", None, clock=FixedClock())
        ),
    ):
        assert "\x1b" not in text and "\u202e" not in text
    shown = terminal.render("development.j2", d=dev)
    assert "Evil [31mred[0m title Reversed" in shown
    assert "**" not in shown


async def test_every_template_renders_in_both_flavours(db: Db, clock: FixedClock) -> None:
    require_search(db)
    brief = await compose_brief(db, "trilateral", None, clock=clock)
    empty = await compose_brief(db, "china", None, period="7d", clock=clock)
    dev = await queries.get_development(db, 2)
    assert dev is not None
    revisions = await queries.list_revisions(db, 2)
    results = await lookup.search(db, "summit", None)
    none_found = await lookup.search(db, "zzzz", None, topic_name="russia")
    timeline = await lookup.timeline(db, "japan-korea", None)
    for flavor in ("discord", "terminal"):
        r = Renderer(flavor)
        text = r.render("brief.j2", brief=brief)
        assert "improving" in text and "deepen" in text
        assert "Nothing recorded" in r.render("brief.j2", brief=empty)
        assert dev.title in r.render("development.j2", d=dev)
        assert "import" in r.render("history.j2", d=dev, revisions=revisions)
        assert "summit" in r.render("search.j2", results=results).lower()
        assert "No match" in r.render("search.j2", results=none_found)
        assert "Timeline" in r.render("timeline.j2", timeline=timeline)
        unexpected = r.render("error.j2", kind="unexpected", error_id="abc")
        assert "nothing was changed" in unexpected.lower()
        assert "date" in r.render("error.j2", kind="invalid", field="date", message="bad")
        assert r.render_block("brief.j2", "title", brief=brief).startswith("US–Japan–South Korea")


async def test_macro_output_is_not_escaped_twice(db: Db, clock: FixedClock) -> None:
    """The markdown of `_macros.j2` (bold dates, code-span ids) reaches Discord intact."""
    discord = Renderer("discord")
    brief = discord.render(
        "brief.j2", brief=await compose_brief(db, "japan-korea", None, clock=clock)
    )
    assert (
        "- **16 Mar 2023** · Yoon Suk-yeol and Fumio Kishida hold a summit in Tokyo `#2` [" in brief
    )
    assert "\\*" not in brief and "\\`" not in brief and "\\[" not in brief
    timeline = discord.render(
        "timeline.j2", timeline=await lookup.timeline(db, "japan-korea", None)
    )
    assert "**15 Mar 2023** · Seoul says" in timeline
    terminal = Renderer("terminal").render(
        "brief.j2", brief=await compose_brief(db, "japan-korea", None, clock=clock)
    )
    assert "16 Mar 2023  Yoon Suk-yeol and Fumio Kishida hold a summit in Tokyo  (#2)" in terminal


def test_join_does_not_html_escape() -> None:
    discord = Renderer("discord")
    template = discord.env.from_string("{{ items|join(', ') }}")
    assert template.render(items=["a&b", "<c>", "*d*"]) == "a&b, \\<c\\>, \\*d\\*"


def test_undefined_variable_raises_via_override(tmp_path: Path) -> None:
    override = tmp_path / "overrides"
    (override / "discord").mkdir(parents=True)
    (override / "discord" / "error.j2").write_text("Oops: {{ no_such_variable }}")
    (override / "discord" / "about.j2").write_text("{{ message.missing_attribute }}")
    settings = load_settings({"TEMPLATES_DIR": str(override)}, dotenv=None)
    renderer = Renderer("discord", settings.templates_dir)
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("error.j2", kind="invalid", message="m", field=None)
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("about.j2", message="text")
    # Templates the override folder does not replace still come from the bundle.
    assert "Search" in renderer.render("search.j2", results=lookup.SearchResults("q", None, []))


def test_override_replaces_a_bundled_template(tmp_path: Path) -> None:
    (tmp_path / "terminal").mkdir()
    (tmp_path / "terminal" / "error.j2").write_text("CUSTOM {{ message }}")
    assert Renderer("terminal", tmp_path).render("error.j2", message="\x1b[1mhi") == "CUSTOM [1mhi"
    (tmp_path / "error.j2").write_text("FLAT {{ message }}")
    assert (
        Renderer("discord", tmp_path).render("error.j2", message="**hi**") == "FLAT \\*\\*hi\\*\\*"
    )


async def test_user_text_cannot_fake_search_hit_markers(catalogue: Catalogue, db: Db) -> None:
    require_search(db)
    await catalogue.add(
        EDITOR, draft(title="Zebra \ue001\ue000 crossing", summary="zebra \ue001 x \ue000")
    )
    results = await lookup.search(db, "zebra", None)
    text = Renderer("discord").render("search.j2", results=results)
    assert "> **Zebra** crossing" in text
    assert "\ue000" not in text and "\ue001" not in text


PIECES = [
    *"ab 1.:/@#>-+*_~|`[]<>\\\n\t\x00\x1b\u202e\u200b",
    *("discord.gg", "https://x", "@everyone", "<@1>", "1. ", "discordapp.com", "Seoul"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=20).map("".join))
def test_md_escape_shortcut_changes_nothing(text: str) -> None:
    # Text without any character a pass acts on is returned as is; all else runs every pass.
    assert md_escape(text) == md_escape_every_pass(text)


def test_compiled_templates_are_kept_between_renderers_and_never_served_stale(
    tmp_path: Path,
) -> None:
    # A new process (a one-shot `briefbot brief`) loads the compiled template from the cache;
    # an edited template is compiled again, never served from the old code.
    overrides = tmp_path / "overrides"
    (overrides / "terminal").mkdir(parents=True)
    page = overrides / "terminal" / "cache_probe.j2"
    page.write_text("first {{ word }}")
    first = Renderer("terminal", override_dir=overrides)
    assert first.render("cache_probe.j2", word="text") == "first text"
    cache = first.env.bytecode_cache
    assert isinstance(cache, jinja2.FileSystemBytecodeCache)
    key = cache.get_cache_key("cache_probe.j2", str(page))
    assert Path(cache.directory, cache.pattern % key).is_file()
    page.write_text("second {{ word }}")
    assert Renderer("terminal", override_dir=overrides).render("cache_probe.j2", word="x") == (
        "second x"
    )
