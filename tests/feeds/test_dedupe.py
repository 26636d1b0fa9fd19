"""Near-duplicate titles and canonical links."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.feeds.dedupe import Entry, Signature, StoryIndex
from bot.core.feeds.measure import load_pairs, score_pairs
from bot.core.feeds.text import normalise_known_link, normalise_link, plain_text, shorten
from bot.domain.scope import Scope

DAY = date(2023, 4, 30)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "S. Korea, U.S., Japan agree to hold missile defense drills",
            "South Korea, US and Japan to hold regular missile defence drills",
        ),
        (
            "N. Korea fires short-range ballistic missile into East Sea: JCS",
            "North Korea fires short-range ballistic missiles toward East Sea",
        ),
        (
            "Japan restores South Korea to export whitelist",
            "Japan restores S. Korea to its export 'whitelist'",
        ),
        (  # capitals fold to their countries
            "N. Korea fires ICBM into East Sea; Seoul, Washington, Tokyo condemn launch",
            "North Korea fires ICBM; Japan, South Korea and U.S. condemn the launch",
        ),
        (  # and so do seats of power
            "Kremlin rejects Japan's protest over military drills on Kuril islands",
            "Russia rejects Tokyo protest over military drills on Kuril islands",
        ),
    ],
)
def test_the_same_story_in_other_words(a: str, b: str) -> None:
    assert Signature.of(a).same_story(Signature.of(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "South Korea, Japan hold foreign ministers' talks in Tokyo",
            "South Korea, Japan hold defense talks in Seoul",
        ),
        (
            "North Korea fires ballistic missile into East Sea",
            "China fires ballistic missile into East Sea",
        ),
        ("Japan's jobless rate edges up", "Japan's jobless rate edges down to 2.4% in May"),
    ],
)
def test_different_stories_stay_apart(a: str, b: str) -> None:
    assert not Signature.of(a).same_story(Signature.of(b))


def test_merges_on_labelled_real_pairs_are_precise_and_find_most() -> None:
    pairs = load_pairs(Path(__file__).parent.parent / "data" / "dedupe_pairs.tsv")
    assert len(pairs) >= 50 and sum(p.same for p in pairs) >= 25
    scores = score_pairs(pairs)
    assert scores.precision >= 0.85, scores.misses  # figures in bench/feeds.py
    assert scores.recall >= 0.65, scores.misses


def _entry(ref: int, title: str, day: date | None, scope: Scope | None = None) -> Entry:
    return Entry("development", ref, scope, day, Signature.of(title))


def test_the_index_matches_within_the_date_window_and_visible_scopes() -> None:
    index = StoryIndex()
    index.add(_entry(1, "S. Korea, U.S., Japan agree to hold missile defense drills", DAY))
    index.add(
        _entry(2, "Japan restores South Korea to export whitelist", DAY, scope=Scope.discord(7))
    )
    probe = "South Korea, US and Japan to hold regular missile defence drills"
    anywhere = lambda e: True  # noqa: E731
    assert (found := index.match(probe, date(2023, 5, 8), anywhere)) and found.ref == 1
    assert index.match(probe, date(2023, 5, 12), anywhere) is None  # 12 days later
    whitelist = "Japan restores S. Korea to its export whitelist"
    assert index.match(whitelist, DAY, lambda e: e.scope is None) is None
    assert index.match(whitelist, DAY, anywhere) is not None
    # Telegram chat 7 is not Discord server 7.
    assert index.match(whitelist, DAY, lambda e: e.scope == Scope.telegram(7)) is None
    assert index.match(whitelist, DAY, lambda e: e.scope == Scope.discord(7)) is not None
    index.discard("development", 1)
    assert index.match(probe, DAY, anywhere) is None and len(index) == 1


def test_links_lose_tracking_and_keep_their_meaning() -> None:
    assert (
        normalise_link("HTTPS://En.Yna.co.kr:443/view/A1?section=nk/nk&utm_source=rss&fbclid=x#top")
        == "https://en.yna.co.kr/view/A1?section=nk/nk"
    )
    assert normalise_link("http://example.com") == "http://example.com/"
    assert normalise_link("http://example.com:8080/a?id=3") == "http://example.com:8080/a?id=3"
    for bad in ("javascript:alert(1)", "ftp://x.org/a", "//x.org/a", "", None, "http://a b/"):
        assert normalise_link(bad) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://en.yna.co.kr/view/AEN1",
        "https://En.Yna.co.kr/view/AEN1",
        "https://example.com",
        "https://example.com/a?utm_source=x&id=1#frag",
        "http://example.com:80/a",
        "https://xn--bcher-kva.example/b",
    ],
)
def test_the_fast_path_for_catalogue_links_agrees(url: str) -> None:
    assert normalise_known_link(url) == normalise_link(url)


def test_plain_text_removes_html_and_decodes_entities_once_or_twice() -> None:
    assert plain_text("<p>Seoul &amp;amp; Tokyo</p><script>x()</script>") == "Seoul & Tokyo"
    assert plain_text("Yoon&#039;s &quot;deal&quot;<br/>signed") == 'Yoon\'s "deal" signed'
    assert plain_text("&lt;b&gt;bold&lt;/b&gt; text") == "bold text"
    assert shorten("word " * 50, 20).endswith("…") and len(shorten("word " * 50, 20)) <= 20
