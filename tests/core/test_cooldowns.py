"""Rate limits of the costly commands: a burst, then one more every few seconds, per
person and per chat or server; a refusal says how long to wait and counts nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import i18n
from bot.core.cooldowns import Allowance, RateLimiter, Rule
from bot.domain.errors import TooSoon
from tests.helpers import FixedClock

RULES = {"search": Rule(person=Allowance(3, 2.0), place=Allowance(5, 1.0))}


def test_a_burst_then_one_more_every_few_seconds() -> None:
    clock = FixedClock()
    limits = RateLimiter(clock, RULES)
    for _ in range(3):
        limits.take("search", "tg:1", "tg:-100")
    with pytest.raises(TooSoon) as refused:
        limits.take("search", "tg:1", "tg:-100")
    assert refused.value.wait_s == 2 and refused.value.action == "search"
    clock.advance(seconds=1)
    with pytest.raises(TooSoon) as again:
        limits.take("search", "tg:1", "tg:-100")
    assert again.value.wait_s == 1  # a refusal counted nothing: the wait only shrank
    clock.advance(seconds=1)
    limits.take("search", "tg:1", "tg:-100")


def test_one_member_flooding_leaves_the_others_their_allowance() -> None:
    clock = FixedClock()
    limits = RateLimiter(clock, RULES)
    for _ in range(3):
        limits.take("search", "dc:1", "dc:guild")
    for _ in range(20):
        with pytest.raises(TooSoon):
            limits.take("search", "dc:1", "dc:guild")
    limits.take("search", "dc:2", "dc:guild")
    limits.take("search", "dc:3", "dc:guild")
    # The place's allowance (5) is now used up by three people: a fourth waits too.
    with pytest.raises(TooSoon) as refused:
        limits.take("search", "dc:4", "dc:guild")
    assert refused.value.wait_s == 1
    limits.take("search", "dc:4", "dc:elsewhere")  # another server is not affected


def test_a_clock_stepped_back_never_means_a_long_wait() -> None:
    clock = FixedClock()
    limits = RateLimiter(clock, RULES)
    for _ in range(3):
        limits.take("search", "tg:1")
    clock.now -= timedelta(hours=2)
    with pytest.raises(TooSoon) as refused:
        limits.take("search", "tg:1")
    assert refused.value.wait_s <= 6


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "Too many search requests just now: wait 4 s and try again."),
        ("ja", "4秒"),
        ("ko", "4초"),
    ],
)
def test_the_refusal_says_how_long_to_wait(locale: str, words: str) -> None:
    with i18n.use_locale(locale):
        assert words in i18n.error_message(TooSoon("search", 4))
