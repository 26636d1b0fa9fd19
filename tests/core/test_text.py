"""Splitting long text at Discord's limits: parts within the limit, nothing lost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import CONTINUED, split_text


def _words(text: str) -> str:
    return "".join(text.split())


def _recovered(parts: list[str]) -> str:
    return _words("\n".join(parts).replace(CONTINUED, ""))


def test_short_text_is_one_part() -> None:
    assert split_text("hello world", 2000) == ["hello world"]
    assert split_text("", 2000) == [""]


def test_splits_at_line_ends() -> None:
    text = "\n".join(f"line {i:03d} " + "x" * 40 for i in range(100))
    parts = split_text(text, 2000)
    assert len(parts) > 1
    assert all(len(p) <= 2000 for p in parts)
    for part in parts:
        assert all(line.startswith("line ") for line in part.split("\n"))
    assert "\n".join(parts) == text


def test_long_line_splits_between_words() -> None:
    text = " ".join(["word"] * 1000)
    parts = split_text(text, 100)
    assert all(len(p) <= 100 for p in parts)
    assert all(set(p.split()) == {"word"} for p in parts)
    assert _recovered(parts) == _words(text)


def test_long_word_is_cut_with_a_marker() -> None:
    word = "a" * 250
    parts = split_text(f"start {word} end", 100)
    assert all(len(p) <= 100 for p in parts)
    assert parts[0].endswith(CONTINUED)
    assert sum(p.count(CONTINUED) for p in parts) >= 2
    assert _recovered(parts) == _words(f"start {word} end")


def test_limit_too_small() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 5)


_text = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(exclude_characters=CONTINUED), max_size=40),
        st.text(alphabet="ab \n", max_size=300),
        st.sampled_from(["\n", " ", "\n\n", "x" * 120]),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=_text, limit=st.integers(10, 150))
def test_split_property(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert parts
    assert all(len(p) <= limit for p in parts), [len(p) for p in parts]
    assert _recovered(parts) == _words(text)
