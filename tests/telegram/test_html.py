"""Telegram HTML: stored text can neither inject markup nor mention anyone, and long
answers split between items into messages Telegram accepts."""

from __future__ import annotations

import pytest

from bot.core import lookup
from bot.core.briefs import compose_brief
from bot.core.catalogue import Catalogue
from bot.core.rendering import Renderer
from bot.core.text import split_items
from bot.telegram.common import split_html
from harness.fake_telegram import HtmlError, parse_html
from storage import catalogue as queries
from storage.sqlite.database import Database
from tests.helpers import EDITOR, FixedClock, draft
from tests.telegram.conftest import MEMBER_TG, Running

HOSTILE = "@everyone <b>bold</b> <a href='javascript:x'>x</a> &amp; &nbsp; </i> ' \" <tg-spoiler>"


def assert_telegram_safe(text: str) -> None:
    """Telegram would accept it, shows the hostile text literally, and it pings nobody."""
    shown = parse_html(text)
    assert "<b>bold</b>" in shown and "&nbsp;" in shown
    assert "@everyone" not in shown and "@\u200beveryone" in shown
    assert "javascript:" not in text.split("href=")[-1] or 'href="javascript' not in text


def test_fake_refuses_what_telegram_refuses() -> None:
    for bad in ("<b>open", "<blink>x</blink>", "a < b", "&nbsp;", "<b><i>x</b></i>", "AT&T"):
        with pytest.raises(HtmlError):
            parse_html(bad)
    assert parse_html('<a href="https://x">a &amp; b</a> &#x27;') == "a & b '"


async def test_hostile_text_is_escaped_in_every_template(
    catalogue: Catalogue, db: Database
) -> None:
    dev = await catalogue.add(
        EDITOR,
        draft(
            title=HOSTILE,
            summary=HOSTILE,
            why_it_matters=HOSTILE,
            sources=[
                {"title": HOSTILE, "publisher": HOSTILE, "url": "https://e.example/?a=1&b=<2>"}
            ],
            importance="3",
        ),
    )
    tg = Renderer("telegram")
    assert_telegram_safe(tg.render("development.j2", d=dev))
    brief = await compose_brief(db, "japan-korea", None, clock=FixedClock())
    assert_telegram_safe(tg.render("brief.j2", brief=brief))
    results = await lookup.search(db, "everyone", None)
    assert_telegram_safe(tg.render("search.j2", results=results))
    timeline = await lookup.timeline(db, "japan-korea", None)
    text = tg.render("timeline.j2", timeline=timeline, items=timeline.developments, page=0, pages=1)
    assert_telegram_safe(text)
    revisions = await queries.list_revisions(db, dev.id)
    parse_html(tg.render("history.j2", d=dev, revisions=revisions))


async def test_a_source_with_another_scheme_is_not_a_link(catalogue: Catalogue) -> None:
    dev = await catalogue.add(
        EDITOR, draft(sources=[{"title": "Ministry", "url": "https://ok.example/x"}])
    )
    shown = Renderer("telegram").render("development.j2", d=dev)
    assert '<a href="https://ok.example/x">Ministry</a>' in shown


def test_split_items_keeps_continuations_with_their_item() -> None:
    text = "\n".join(f"• item {i}\n   summary {i} " + "x" * 50 for i in range(200))
    parts = split_items(text, 500)
    assert len(parts) > 10
    for part in parts:
        assert len(part) <= 500
        assert part.startswith("• item")
    assert "\n".join(parts) == text


async def test_answers_full_of_markup_characters_are_accepted(tg: Running) -> None:
    for number in range(60):
        await tg.services.catalogue.add(
            EDITOR,
            draft(title=f"<i>Long</i> {number} " + "word & " * 18, importance="3"),
        )
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/search Long word")
    await tg.fake.wait_sent(MEMBER_TG)
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline japan-korea")
    await tg.fake.wait_sent(MEMBER_TG, 2)
    assert tg.fake.refusals == []
    assert all(len(s.plain) <= 4096 for s in tg.fake.sent[MEMBER_TG])
    assert split_html("• a\n• b") == ["• a\n• b"]


def test_parts_are_measured_as_telegram_counts_them() -> None:
    line = "• " + "🇯🇵" * 60  # flags: four UTF-16 units each
    parts = split_html("\n".join([line] * 40))
    assert len(parts) > 1
    assert all(len(p.encode("utf-16-le")) // 2 <= 4000 for p in parts)


@pytest.mark.parametrize("link_chars", [60, 480])
def test_a_long_line_is_cut_only_between_entities(link_chars: int) -> None:
    """A line longer than a message, full of links and bold words, splits between them:
    every part is HTML Telegram accepts, and every link arrives whole."""
    link = f'<a href="https://example.org/{"p" * link_chars}">Ministers &amp; envoys meet</a>'
    line = " ".join(f"{link} — <b>AT&amp;T</b> note {i}" for i in range(40))
    parts = split_html(f"<b>Sources</b>\n{line}\nend")
    assert len(parts) > 1
    for part in parts:
        parse_html(part)  # raises on a cut tag, link or escape
    shown = "".join(parse_html(p) for p in parts)
    assert shown.count("Ministers & envoys meet") == 40 and shown.endswith("end")


def test_an_element_longer_than_a_message_keeps_its_text() -> None:
    word = "<b>" + "&amp;x" * 1500 + "</b>"
    parts = split_html(word)
    for part in parts:
        parse_html(part)
    assert "".join(parse_html(p) for p in parts).replace("…", "") == "&x" * 1500
