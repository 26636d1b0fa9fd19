"""The import's fast paths give exactly what the general paths give: the document check
that skips copying the records, printable-ASCII text cleaning, cached date parsing, and
the https link check without `urlsplit`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import import_schema
from bot.core.validation import _https_with_host, clean_text, parse_fuzzy_date, parse_source
from bot.domain.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ue000\ue001]")


def _reference_clean(value: Any, single_line: bool) -> str:
    text = _CONTROL.sub("", "" if value is None else str(value))
    if single_line:
        text = " ".join(text.split())
    return text.strip()


TEXTS = [
    "plain words", "  padded  ", "two  spaces", "a\tb", "line\nbreak", "bell\x07",
    "del\x7f", "\x1c sep", "日本  語", "nbsp\u00a0x", "mark\ue000", "", "   ", None, 12, "~!@#",
]  # fmt: skip


@pytest.mark.parametrize("single_line", [False, True])
@pytest.mark.parametrize("value", TEXTS)
def test_clean_text_matches_the_regex_path(value: Any, single_line: bool) -> None:
    assert clean_text(value, single_line=single_line) == _reference_clean(value, single_line)


def test_a_cached_date_error_names_the_field_it_was_asked_for() -> None:
    for field in ("date", "source 1 date", "date"):
        with pytest.raises(InvalidInput) as caught:
            parse_fuzzy_date("2023-02-30", field)
        assert caught.value.field == field
    assert parse_fuzzy_date(" 2023-03 ").iso() == "2023-03"


def _full_check(doc: Any) -> str:
    try:
        import_schema.check(import_schema.DocumentIn, doc, "")
    except InvalidInput as exc:
        return str(exc)
    return "ok"


def _fast_check(doc: Any) -> str:
    try:
        import_schema.check_document(doc)
    except InvalidInput as exc:
        return str(exc)
    return "ok"


DOCUMENTS: list[Any] = [
    {"developments": [{"a": 1}, 5], "datasets": [{"dataset": "x", "loaded_at": "soon"}]},
    {"developments": [{1: "x"}]},
    {"developments": ({"a": 1},)},
    {"developments": [], "assessments": [{"a": 1}, []]},
    {"developments": [{"a": 1}], "datasets": [{"dataset": "x", "loaded_at": "soon"}]},
    {"developments": [{"a": 1}], "version": "2"},
    {"developments": [{"a": 1}], "assessments": [{"b": 2}], "format": "x"},
    [],
]


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_the_document_check_reports_what_the_whole_model_reports(doc: Any) -> None:
    assert _fast_check(doc) == _full_check(doc)


def _reference_https(text: str) -> bool | str:
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return str(exc)
    return parts.scheme.lower() == "https" and bool(parts.netloc)


def _fast_https(text: str) -> bool | str:
    try:
        return _https_with_host(text)
    except ValueError as exc:
        return str(exc)


LINKS = [
    "https://example.org/x", "HTTPS://Example.org", "https://", "https:///path", "https://?q",
    "https://#frag", "https:/x", "https:x", "http://example.org", "https://[::1]/", "https://[x",
    "https://a]b", "https://ex ample.org", "https://例え.jp/", "https://ex\uff03ample.org",
    "https://user@host:99/p?q#f", " https://example.org", "ftp://https://x", "https://x/\x7f",
]  # fmt: skip


@pytest.mark.parametrize("text", LINKS)
def test_the_https_check_reads_links_as_urlsplit_does(text: str) -> None:
    assert _fast_https(text) == _reference_https(text)


@given(st.text(alphabet=st.sampled_from("hHtTpPsS:/?#[]@.a1 \x7f\u00e9"), max_size=14))
def test_the_https_check_agrees_with_urlsplit_on_any_text(tail: str) -> None:
    for text in (tail, "https://" + tail, "HTTPS:" + tail):
        assert _fast_https(text) == _reference_https(text)


def test_a_cached_source_date_error_names_its_source() -> None:
    for index in (1, 2, 1):
        with pytest.raises(InvalidInput) as caught:
            parse_source({"title": "t", "published_on": "2023-02-30"}, index)
        assert caught.value.field == f"source {index} date"
    assert parse_source({"title": "t", "accessed_on": "2023-3"}).accessed_on == "2023-03"
