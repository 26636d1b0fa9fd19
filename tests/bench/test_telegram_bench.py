"""The Telegram delivery bench runs at a tiny size (a smoke test, not a timing assertion)."""

from __future__ import annotations

from bench.telegram import measure


async def test_the_telegram_bench_reports_its_figures() -> None:
    figures = await measure(6)
    assert figures["messages"] == 6 and figures["outcomes"] == {"sent": 6}
    assert figures["messages_per_second"] > 0
    assert figures["duplicates"] == 0
