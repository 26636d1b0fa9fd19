"""Mechanical checks of the Japanese and Korean catalogues, for mistakes a fluent editor
found in real output: a space after a placeholder in Japanese (`この個人チャット で`), a
bracketed particle in Korean (`{name}을(를)`), English left in a translated sentence, and a
Japanese prompt that is a bare fragment ending in `？` instead of a polite request."""

from __future__ import annotations

import calendar
import re

import pytest
from babel.messages.catalog import Catalog

from bot.domain.models import DOMAINS
from bot.domain.schedule import CADENCES
from bot.domain.topics import TOPICS
from bot.i18n import gettext, use_locale
from bot.i18n.words import FIELDS
from tests.i18n.test_catalogues import catalogue, strings_of

PLACEHOLDER = r"(?:%\(\w+\)[sd]|\{[^{}]*\})"
#: Japanese text (kana, kanji, full-width forms, corner brackets) right after the space.
SPACE_AFTER_PLACEHOLDER = re.compile(
    PLACEHOLDER + r" (?=[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60「『])"
)
BRACKETED_PARTICLE = re.compile(
    r"을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|와\(과\)|과\(와\)|\(으\)로"
)
BARE_QUESTION = re.compile(r"[^か]？")
#: What may stay in Latin letters inside a Japanese or Korean sentence: markup, commands and
#: what follows them, code, links, options people type, examples of what to type, and names.
_NOT_PROSE = re.compile(
    "|".join(
        (
            r"<[^>]+>",  # markup
            r"`[^`]*`",  # code
            r"<code>.*?</code>",
            r"/[a-z][a-z_-]*(?:[ \t]+[^\s、。，,（）()]+)*",  # a command and its arguments
            r"https?://\S*",
            r"@\w+",  # @everyone, @channel
            r"\b[a-z_]+=[^\s、。,]*",  # options: include=…
            r"\b[A-Z][a-z]+/[A-Za-z_/]+",  # time zones: Asia/Seoul
            r"(?:例|예)[:：][^）)\n]*",  # examples of what to type
        )
    ),
    re.DOTALL,
)
#: Values people type as they are: topics, domains, cadences, weekdays, command words.
TYPED = {
    *(t.slug for t in TOPICS),
    *DOMAINS,
    *CADENCES,
    *(day.lower() for day in calendar.day_name),
    *("global", "all", "from", "to", "preview", "sendnow", "http", "https"),
    *("timezone", "language", "add", "list", "remove", "pause", "resume"),
}
ALLOWED_WORDS = {
    "Trilateral",
    "Brief",
    "Discord",
    "Telegram",
    "IANA",
    "ISO",
    "HTTP",
    "URL",
    "UTC",
    "RSS",
    "Atom",
    "PNG",
    "ID",
}


def _strings(cat: Catalog) -> list[tuple[str, str]]:
    found = []
    for message in cat:
        if not message.id or message.fuzzy:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        found += [(msgid, s) for s in strings_of(message.string) if s]
    return found


def _english_left(text: str) -> list[str]:
    prose = _NOT_PROSE.sub(" ", re.sub(PLACEHOLDER, " ", text))
    words = re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", prose)
    return [w for w in words if w not in ALLOWED_WORDS and w not in TYPED and len(w) > 2]


def test_no_space_after_a_placeholder_in_japanese() -> None:
    bad = [s for _, s in _strings(catalogue("ja")) if SPACE_AFTER_PLACEHOLDER.search(s)]
    assert bad == []


def test_no_bracketed_particle_in_korean() -> None:
    bad = [s for _, s in _strings(catalogue("ko")) if BRACKETED_PARTICLE.search(s)]
    assert bad == []


def test_japanese_prompts_are_polite_requests_not_bare_questions() -> None:
    bad = [s for _, s in _strings(catalogue("ja")) if BARE_QUESTION.search(s)]
    assert bad == []


@pytest.mark.parametrize("language", ["ja", "ko"])
def test_no_english_left_in_a_translation(language: str) -> None:
    bad = {
        msgid: words
        for msgid, text in _strings(catalogue(language))
        if msgid != text and (words := _english_left(text))
    }
    assert bad == {}


def test_the_checks_catch_what_the_editor_found() -> None:
    assert SPACE_AFTER_PLACEHOLDER.search("{where} でダイジェストの購読を始めました。")
    assert not SPACE_AFTER_PLACEHOLDER.search("{where}でダイジェストの購読を始めました。")
    assert BRACKETED_PARTICLE.search("{title}을(를) 추가했습니다")
    assert BARE_QUESTION.search("<b>日付</b>は？")
    assert not BARE_QUESTION.search("公開しますか？")
    assert _english_left("{period}の digest です") == ["digest"]
    assert _english_left("/brief japan-korea をお試しください。") == []


@pytest.mark.parametrize("language", ["ja", "ko"])
def test_field_names_in_refusals_are_translated(language: str) -> None:
    assert {"usage", "from", "to", "time", "timezone", "date"} <= set(FIELDS)
    with use_locale(language):
        assert [f for f in FIELDS if gettext(f) == f] == []
