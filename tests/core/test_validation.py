"""Validation of raw input: every rule, and error messages that name the field."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.validation import (
    SUMMARY_MAX,
    TITLE_MAX,
    WHY_MAX,
    format_sources_text,
    parse_countries,
    parse_development_id,
    parse_fuzzy_date,
    parse_importance,
    parse_sources_text,
    parse_tags,
    parse_url,
    parse_watch_next,
    validate_development,
)
from bot.domain.errors import InvalidInput
from bot.domain.models import FuzzyDate, Source
from tests.helpers import draft, raw_development


def invalid(field: str, **overrides: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        validate_development(raw_development(**overrides))
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}:")
    return err.value


def test_valid_input_becomes_a_draft() -> None:
    d = draft()
    assert d.title == "Foreign ministers of Japan and South Korea meet in Seoul"
    assert d.occurred == FuzzyDate(date(2023, 4, 20), "day")
    assert d.countries == ("JP", "KR")
    assert d.tags == ("ministers", "shuttle-diplomacy")
    assert d.importance == 2
    assert d.sources == (
        Source(
            title="Ministers meet",
            publisher="Example News",
            url="https://example.org/ministers",
            published_on="2023-04-20",
        ),
    )


@pytest.mark.parametrize(
    ("field", "key", "limit"),
    [("title", "title", TITLE_MAX), ("summary", "summary", SUMMARY_MAX)],
)
def test_text_lengths(field: str, key: str, limit: int) -> None:
    assert len(getattr(draft(**{key: "x" * limit}), key)) == limit
    error = invalid(field, **{key: "x" * (limit + 1)})
    assert str(limit) in error.rule
    invalid(field, **{key: "   "})


def test_why_it_matters_length_and_optional() -> None:
    assert TITLE_MAX == 150 and SUMMARY_MAX == 1000 and WHY_MAX == 300
    assert draft(why_it_matters="w" * 300).why_it_matters == "w" * 300
    assert draft(why_it_matters="").why_it_matters is None
    invalid("why it matters", why_it_matters="w" * 301)


def test_title_is_folded_to_one_line_and_control_chars_dropped() -> None:
    assert draft(title="  A\n  summit\x07 held ").title == "A summit held"


@pytest.mark.parametrize(
    ("text", "start", "precision", "iso"),
    [
        ("2023", date(2023, 1, 1), "year", "2023"),
        ("2023-03", date(2023, 3, 1), "month", "2023-03"),
        ("2023-3", date(2023, 3, 1), "month", "2023-03"),
        ("2023-03-16", date(2023, 3, 16), "day", "2023-03-16"),
        ("2024-02-29", date(2024, 2, 29), "day", "2024-02-29"),
    ],
)
def test_dates_with_precision(text: str, start: date, precision: str, iso: str) -> None:
    parsed = parse_fuzzy_date(text)
    assert parsed.start == start
    assert parsed.precision == precision
    assert parsed.iso() == iso
    assert parse_fuzzy_date(parsed.iso()) == parsed


def test_fuzzy_date_ends_and_labels() -> None:
    assert parse_fuzzy_date("2023").end == date(2023, 12, 31)
    assert parse_fuzzy_date("2024-02").end == date(2024, 2, 29)
    assert parse_fuzzy_date("2023-03-16").end == date(2023, 3, 16)
    assert parse_fuzzy_date("2023-03-16").label() == "16 Mar 2023"
    assert parse_fuzzy_date("2023-03").label() == "Mar 2023"
    assert parse_fuzzy_date("2023").label() == "2023"


@pytest.mark.parametrize(
    "text",
    ["2023-02-30", "2023-13", "2023-00-10", "2023-04-31", "1899", "2101-01-01", "16/03/2023"],
)
def test_invalid_dates(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_fuzzy_date(text, "date")
    assert err.value.field == "date"
    invalid("date", date=text)


def test_missing_date() -> None:
    invalid("date", date="")


def test_https_only_urls() -> None:
    assert parse_url("https://www.yna.co.kr/view/1") == "https://www.yna.co.kr/view/1"
    assert parse_url("") is None
    for bad in (
        "http://example.org",
        "javascript:alert(1)",
        "JAVASCRIPT://alert(1)",
        "ftp://example.org",
        "https://",
        "https://exa mple.org",
        "www.example.org",
        "https://x.org/" + "a" * 600,
    ):
        with pytest.raises(InvalidInput) as err:
            parse_url(bad, "source 1 url")
        assert err.value.field == "source 1 url"


@pytest.mark.parametrize("url", ["http://example.org/a", "javascript:alert(1)"])
def test_http_and_javascript_sources_are_refused(url: str) -> None:
    invalid("source 1 url", sources=f"{url} | Example | Title")
    invalid("source 2 url", sources=[{"title": "ok"}, {"title": "bad", "url": url}])


def test_countries_codes_and_aliases() -> None:
    assert parse_countries("ROK, DPRK") == ("KP", "KR")
    assert parse_countries(["usa", "jpn", "kr", "KR"]) == ("JP", "KR", "US")
    assert parse_countries("prc rus UK") == ("CN", "GB", "RU")
    with pytest.raises(InvalidInput) as err:
        parse_countries("JP XX")
    assert err.value.field == "countries" and "XX" in err.value.rule
    invalid("countries", countries="")
    invalid("countries", countries="Korea")


def test_domains_and_kinds() -> None:
    for domain in ("security", "economy", "diplomacy", "society"):
        assert draft(domain=domain.upper()).domain == domain
    invalid("domain", domain="sports")
    invalid("domain", domain="")
    assert draft(kind="indicator").kind == "indicator"
    invalid("kind", kind="rumour")


def test_importance_one_to_three() -> None:
    assert [parse_importance(v) for v in ("1", 2, " 3 ", None, "")] == [1, 2, 3, 2, 2]
    for bad in ("0", "4", "-1", "high", "2.5"):
        invalid("importance", importance=bad)


def test_tags() -> None:
    assert parse_tags("#Trade, export-controls trade") == ("trade", "export-controls")
    assert parse_tags(None) == ()
    assert len(parse_tags([f"t{i}" for i in range(10)])) == 10
    invalid("tags", tags=[f"t{i}" for i in range(11)])
    invalid("tags", tags="no_underscores")
    invalid("tags", tags="x" * 33)
    invalid("tags", tags="-leading")


def test_sources_are_required_and_limited() -> None:
    invalid("sources", sources="")
    invalid("sources", sources=[])
    invalid("sources", sources="\n".join(f"Citation {i}" for i in range(11)))
    invalid("source 1", sources=[{"publisher": "Nobody"}])
    invalid("source 1 date", sources=[{"title": "t", "published_on": "2023-02-30"}])


def test_sources_text_shapes() -> None:
    sources = parse_sources_text(
        "https://www.yna.co.kr/a | Yonhap | S. Korea, Japan agree | 2023-04-13\n"
        "\n"
        "ANKASAM | The Deepening Relations in the North Pacific | 2023\n"
        "A citation without anything else\n"
        "https://example.org/only-a-link\n"
    )
    assert sources == (
        Source("S. Korea, Japan agree", "Yonhap", "https://www.yna.co.kr/a", "2023-04-13"),
        Source("The Deepening Relations in the North Pacific", "ANKASAM", None, "2023"),
        Source("A citation without anything else"),
        Source("example.org", url="https://example.org/only-a-link"),
    )


def test_sources_text_round_trip() -> None:
    sources = (
        Source("Title one", "Publisher", "https://example.org/1", "2023-03-19"),
        Source("Only a citation"),
        Source("Cited work", "Press", None, "2023-03"),
        Source("Linked", None, "https://example.org/2"),
    )
    text = format_sources_text(sources)
    assert parse_sources_text(text) == sources
    assert format_sources_text(parse_sources_text(text)) == text


_part = (
    st.text(
        alphabet=st.characters(categories=["L", "N"], include_characters=" .,'-"),
        min_size=1,
        max_size=30,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: any(c.isalpha() for c in s))
    # Parts are told apart by shape, so a title shaped like a link is one by design.
    .filter(lambda s: not s.lower().startswith(("http", "www.")))
)


@settings(max_examples=100, deadline=None)
@given(
    title=_part,
    publisher=st.none() | _part,
    url=st.none() | st.from_regex(r"https://[a-z]{1,10}\.org/[a-z0-9]{0,10}", fullmatch=True),
    year=st.none() | st.integers(1900, 2100),
)
def test_sources_text_round_trip_property(
    title: str, publisher: str | None, url: str | None, year: int | None
) -> None:
    source = Source(title, publisher, url, str(year) if year else None)
    assert parse_sources_text(format_sources_text([source])) == (source,)


def test_watch_next_items() -> None:
    assert parse_watch_next("- one\n• two\n\n three ") == ("one", "two", "three")
    with pytest.raises(InvalidInput, match="watch next"):
        parse_watch_next([str(i) for i in range(6)])
    with pytest.raises(InvalidInput, match="watch next"):
        parse_watch_next(["x" * 201])


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("#7", 7), (" 3 ", 3)])
def test_development_ids(text: str, value: int) -> None:
    assert parse_development_id(text) == value


@pytest.mark.parametrize("text", ["abc", "0", "", "-1", "1.5", "9" * 13])
def test_bad_development_ids(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_development_id(text)
    assert err.value.field == "id"


# --- source lines as people write them --------------------------------------------------------

_word = st.text(
    st.characters(whitelist_categories=("Lu", "Ll", "Lo"), max_codepoint=0x9FFF),
    min_size=1,
    max_size=12,
)
_url = st.builds(
    lambda host, path: f"https://{host}.org/{path}",
    st.from_regex(r"[a-z]{1,12}", fullmatch=True),
    st.from_regex(r"[a-z0-9/-]{0,20}", fullmatch=True),
)


@given(url=_url)
def test_a_link_alone_is_a_source_titled_by_its_host(url: str) -> None:
    (source,) = parse_sources_text(url)
    assert source.url == url and source.title == url.split("/")[2] and source.publisher is None


@given(url=_url, words=st.lists(_word, min_size=1, max_size=3), pipe=st.booleans())
def test_a_link_then_a_short_name_reads_the_name_as_publisher(
    url: str, words: list[str], pipe: bool
) -> None:
    name = " ".join(words)
    (source,) = parse_sources_text(f"{url} {name}")
    assert (source.url, source.publisher) == (url, name)
    (piped,) = parse_sources_text(f"{url} | {name}")  # with `|`: one part is the title
    assert (piped.url, piped.title) == (url, name)


@given(url=_url, words=st.lists(_word, min_size=4, max_size=12), date=st.booleans())
def test_a_link_then_a_longer_text_reads_it_as_the_title(
    url: str, words: list[str], date: bool
) -> None:
    title = " ".join(words)
    line = f"{url} — {title}" + (" 2023-03-19" if date else "")
    (source,) = parse_sources_text(line)
    assert (source.url, source.title, source.publisher) == (url, title, None)
    assert source.published_on == ("2023-03-19" if date else None)


@given(words=st.lists(_word, min_size=1, max_size=12))
def test_a_line_without_a_link_is_a_citation(words: list[str]) -> None:
    citation = " ".join(words)
    (source,) = parse_sources_text(citation)
    assert (source.title, source.url, source.publisher) == (citation, None, None)


@given(
    url=st.none() | _url,
    publisher=st.none() | st.lists(_word, min_size=1, max_size=4).map(" ".join),
    title=st.lists(_word, min_size=1, max_size=8).map(" ".join),
)
def test_the_prefilled_form_text_reads_back_the_same_sources(
    url: str | None, publisher: str | None, title: str
) -> None:
    sources = (Source(title=title, publisher=publisher, url=url),)
    assert parse_sources_text(format_sources_text(sources)) == sources


def test_a_link_in_the_middle_of_a_line_and_two_links() -> None:
    (source,) = parse_sources_text("Yonhap https://www.yna.co.kr/view/1")
    assert (source.publisher, source.url) == ("Yonhap", "https://www.yna.co.kr/view/1")
    with pytest.raises(InvalidInput, match="source 1 url"):
        parse_sources_text("https://a.org/x https://b.org/y")
    with pytest.raises(InvalidInput, match="https"):
        parse_sources_text("http://example.org/story Yonhap")
