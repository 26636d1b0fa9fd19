"""The catalogues cover what the code and templates say, in Japanese and Korean, and the
compiled .mo files that ship are exactly the .po files compiled.

A message in a catalogue that the code no longer uses FAILS too (not a warning): it means
the English changed and its translation did not follow, which shows the reader an old
sentence's translation nowhere at all — a silent gap. `pybabel update` (bot/i18n/README.md)
marks it obsolete; commit the result."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n
from bot.core.briefs import PERIOD_LABELS
from bot.domain.models import DOMAINS, KINDS, TRENDS
from bot.domain.schedule import CADENCES
from bot.i18n.words import WORDS

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("ja", "ko")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{[^{}]*\}")


def extracted() -> set[str]:
    """Every msgid the code and templates use, extracted as babel.cfg says."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, *_rest in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
        if message
    }


def catalogue(language: str) -> Catalog:
    path = i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def strings_of(string: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """A message's translation(s): one string, or one per plural form."""
    if string is None:
        return []
    return [string] if isinstance(string, str) else list(string)


def translated(cat: Catalog) -> dict[str, list[str]]:
    """msgid (singular) → its non-empty translations, fuzzy and obsolete ones left out."""
    result = {}
    for message in cat:
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        result[key] = [s for s in strings_of(message.string) if s]
    return result


@pytest.fixture(scope="module")
def used() -> set[str]:
    return extracted()


def test_extraction_finds_code_templates_and_command_text(used: set[str]) -> None:
    assert "There is no topic called '{name}'. The topics: {topics}." in used  # Python _()
    assert "Key developments" in used  # a Jinja template
    assert "A briefing on a topic: bottom line, key developments, sources" in used  # Discord
    assert "US–Japan–South Korea" in used  # N_() in the domain


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(used: set[str], language: str) -> None:
    done = translated(catalogue(language))
    missing = sorted(m for m in used if not done.get(m))
    assert missing == [], f"untranslated in {language}: run the update in bot/i18n/README.md"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_the_code_no_longer_uses(used: set[str], language: str) -> None:
    stale = sorted(set(translated(catalogue(language))) - used)
    assert stale == [], f"{language} translates messages no code uses: pybabel update"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language: str) -> None:
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        for text in strings_of(message.string):
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                wrong.append((source, text))
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_the_po_compiled(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(language))
    shipped = i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.mo"
    assert shipped.read_bytes() == compiled.getvalue(), "recompile: pybabel compile"


def test_every_stored_word_is_marked_for_translation() -> None:
    shown = {*DOMAINS, *KINDS, *TRENDS, *CADENCES, *PERIOD_LABELS.values()}
    assert shown - set(WORDS) == set()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "16 Mar 2023"), ("ja", "2023年3月16日"), ("ko", "2023년 3월 16일")],
)
def test_dates_follow_the_locale(language: str, expected: str) -> None:
    from datetime import date

    with i18n.use_locale(language):
        assert i18n.date_label(date(2023, 3, 16)) == expected


def test_plural_forms_come_from_the_catalogue() -> None:
    with i18n.use_locale("en"):
        assert i18n.ngettext("%(num)s revision", "%(num)s revisions", 1) == "%(num)s revision"
        assert i18n.ngettext("%(num)s revision", "%(num)s revisions", 2) == "%(num)s revisions"
    for language, text in (("ja", "改訂 %(num)s件"), ("ko", "개정 %(num)s건")):
        with i18n.use_locale(language):
            assert i18n.ngettext("%(num)s revision", "%(num)s revisions", 1) == text
            assert i18n.ngettext("%(num)s revision", "%(num)s revisions", 7) == text


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("ja", "ja"), ("ko", "ko"), ("ko-KR", "ko"), ("en-US", "en"), ("fr", "en"), (None, "en")],
)
def test_any_language_tag_falls_back_to_english(tag: str | None, locale: str) -> None:
    assert i18n.normalize(tag) == locale


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Asia/Seoul"), ("ja", "韓国時間 (Asia/Seoul)"), ("ko", "한국 시간 (Asia/Seoul)")],
)
def test_time_zone_names_follow_the_locale(language: str, expected: str) -> None:
    with i18n.use_locale(language):
        assert i18n.zone_name("Asia/Seoul") == expected


def test_country_names_follow_the_locale() -> None:
    codes = ("US", "JP", "KR")
    with i18n.use_locale("en"):
        assert i18n.country_names(codes) == "US JP KR"  # as English always showed them
    with i18n.use_locale("ja"):
        assert i18n.country_names(codes) == "米国、日本、韓国"
    with i18n.use_locale("ko"):
        assert i18n.country_names(codes) == "미국, 일본, 한국"


def test_discord_command_text_is_extracted_but_names_are_not() -> None:
    from bot.i18n.extract import extract_discord

    source = b"""
@app_commands.command(name="brief", description="A briefing on a topic")
@app_commands.describe(topic="e.g. japan-korea")
@app_commands.choices(period=[app_commands.Choice(name="all time", value="all")])
async def brief(): return _("Hello")
"""
    found = [m[2] for m in extract_discord(io.BytesIO(source), {"_": None}, [], {})]
    assert sorted(found) == ["A briefing on a topic", "Hello", "all time", "e.g. japan-korea"]
