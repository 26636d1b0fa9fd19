"""Digest filters as pure functions: parsing what /subscribe got, and what a filter keeps."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.digests.filters import filter_developments, parse_filter
from bot.domain.digest_filter import DigestFilter
from bot.domain.errors import InvalidInput
from bot.domain.models import DOMAINS, Development
from tests.helpers import draft


def dev(title: str, domain: str = "economy", tags: tuple[str, ...] = ()) -> Development:
    base = draft()
    return Development(**{**base.__dict__, "id": 1, "title": title, "domain": domain, "tags": tags})


def test_parsing_commas_spaces_case_and_all() -> None:
    f = parse_filter("Chips, export controls", "tourism visa", "economy security")
    assert f.include == ("chips", "export controls")
    assert f.exclude == ("tourism", "visa")
    assert f.domains == ("security", "economy")  # in the catalogue's order
    assert parse_filter(None, "", "all") == DigestFilter()
    assert not DigestFilter().active and f.active
    assert (
        f.describe()
        == "mentions chips or “export controls” · not tourism, visa · security, economy only"
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("a b c d e f g h i j k", None, None), "include"),
        ((None, "x" * 41, None), "exclude"),
        ((None, None, "weather"), "domains"),
        (("chips", "chips", None), "exclude"),
    ],
)
def test_bad_filters_name_the_field(args: tuple[str | None, ...], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_filter(*args)
    assert caught.value.field == field


def test_words_match_word_starts_in_latin_and_anywhere_in_cjk() -> None:
    f = parse_filter("chip, 北朝鮮, 한일", None, None)
    assert f.keeps(dev("New chips plant opens"))
    assert not f.keeps(dev("A microchip shortage"))
    assert f.keeps(dev("北朝鮮がミサイルを発射"))
    assert f.keeps(dev("한일정상회담 개최"))
    assert f.keeps(dev("Talks", tags=("chip-alliance",)))
    assert not f.keeps(dev("Talks on tourism"))


def test_domains_and_exclusions() -> None:
    f = parse_filter(None, "tourism", "economy")
    assert f.keeps(dev("Trade deal", "economy"))
    assert not f.keeps(dev("Trade deal", "security"))
    assert not f.keeps(dev("Tourism boom lifts trade", "economy"))


@given(
    titles=st.lists(
        st.sampled_from(["chips deal", "tourism", "drill", "chips tourism"]), max_size=8
    ),
    include=st.sampled_from(["", "chips", "drill, chips"]),
    exclude=st.sampled_from(["", "tourism"]),
    domains=st.lists(st.sampled_from(DOMAINS), unique=True),
)
def test_a_filter_keeps_a_subset_in_order_and_never_an_excluded_word(
    titles: list[str], include: str, exclude: str, domains: list[str]
) -> None:
    devs = [replace(dev(t, DOMAINS[i % 4]), id=i) for i, t in enumerate(titles)]
    f = parse_filter(include, exclude, " ".join(domains))
    kept = filter_developments(devs, f)
    assert [d for d in devs if d in kept] == kept
    assert all("tourism" not in d.title for d in kept) or not exclude
    assert all(d.domain in domains for d in kept) or not domains
    if not f.active:
        assert kept == devs
