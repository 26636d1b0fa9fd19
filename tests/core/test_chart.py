"""The timeline chart: a real PNG for empty, tiny and huge timelines, CJK titles drawn with
the bundled font, and matplotlib kept out of start-up."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from bot import i18n
from bot.core import chart
from bot.core.chart import key_events, render_timeline_png
from bot.domain.errors import TryAgain
from bot.domain.models import DOMAINS, Development, FuzzyDate
from tests.helpers import draft

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height read back from the PNG's IHDR chunk (its CRC checked too)."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc
    width, height = struct.unpack(">II", body[:8])
    return width, height


def developments(n: int) -> list[Development]:
    base = draft()
    start = date(2015, 1, 1)
    return [
        Development(
            **{
                **base.__dict__,
                "id": i + 1,
                "title": f"Development {i} — 尹錫悦と岸田文雄 한일 정상회담",
                "occurred": FuzzyDate(
                    start + timedelta(days=i * 3650 // max(n, 1)),
                    "day" if i % 5 else "month",
                ),
                "domain": DOMAINS[i % len(DOMAINS)],
                "importance": 1 + i % 3,
            }
        )
        for i in range(n)
    ]


def test_an_empty_timeline_draws_a_chart_that_says_so() -> None:
    data = render_timeline_png([], "Japan–South Korea", "no developments")
    assert png_size(data) == (1000, 460)
    assert 5_000 < len(data) < 200_000


def test_a_one_item_timeline_renders() -> None:
    data = render_timeline_png(developments(1), "日韓関係 · 한일 관계")
    assert png_size(data) == (1000, 460)
    assert len(data) > 5_000


def test_a_ten_thousand_item_timeline_renders() -> None:
    data = render_timeline_png(developments(10_000), "US–Japan–South Korea")
    assert png_size(data) == (1000, 460)
    assert len(data) < 1_500_000  # an attachment Discord takes without thinking


def test_cjk_titles_draw_glyphs_not_boxes() -> None:
    # The same length of text in Latin and in Hangul: with a missing font the Hangul
    # would come out as identical "tofu" boxes, and two different Hangul titles alike.
    one = render_timeline_png(developments(1), "한일 정상회담 도쿄")
    other = render_timeline_png(developments(1), "북한 미사일 발사 시험")
    assert one != other
    from bot.core import chart

    assert chart._families()[0].startswith("Noto Sans CJK")


def test_key_events_prefer_the_most_important_and_come_in_date_order() -> None:
    devs = developments(30)
    chosen = key_events(devs, limit=4)
    assert [d.importance for d in chosen] == [3, 3, 3, 3]
    assert [d.occurred for d in chosen] == sorted(d.occurred for d in chosen)
    assert chosen[-1] == max((d for d in devs if d.importance == 3), key=lambda d: d.occurred)
    minor = [replace(d, importance=1) for d in devs[:3]]
    assert key_events(minor) == []


def test_a_cold_cli_start_does_not_import_matplotlib() -> None:
    code = "import sys, bot.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_charts_render_a_bounded_number_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At most RENDERS_MAX charts draw at once and WAITING_MAX more may wait; one more is
    refused at once with "try again", while the event loop goes on answering."""
    release = asyncio.Event()
    waiting: list[str] = []

    async def held(devs: Any, title: str, subtitle: str) -> bytes:
        waiting.append(title)
        await release.wait()
        return b"png"

    monkeypatch.setattr(chart, "_draw", held)
    queued = [
        asyncio.create_task(chart.draw_timeline_png([], "t"))
        for _ in range(chart.RENDERS_MAX + chart.WAITING_MAX)
    ]
    await asyncio.sleep(0)  # every task has started and is waiting for a drawer
    assert len(waiting) == len(queued)
    with pytest.raises(TryAgain, match="try again in a few seconds"):
        await chart.draw_timeline_png([], "one too many")
    release.set()
    assert await asyncio.gather(*queued) == [b"png"] * len(queued)
    assert await chart.draw_timeline_png([], "again") == b"png"


async def test_charts_are_drawn_in_a_worker_process_with_the_same_png(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chart is CPU-bound Python: drawn in a thread it would hold the GIL and stall every
    answer for up to a second, so it is drawn in a drawing process (where this process's
    `render_timeline_png` is not the one called), in the reader's language, and the PNG is
    byte for byte what drawing it here gives."""
    devs = developments(40)
    with i18n.use_locale("ja"):
        here = render_timeline_png(devs, "日韓関係", "40件")
    english = render_timeline_png(devs, "日韓関係", "40件")
    assert here != english  # the domain names and legend are in the reader's language

    def not_here(*args: Any) -> bytes:
        raise AssertionError("drawn in the bot's own process")

    monkeypatch.setattr(chart, "render_timeline_png", not_here)
    try:
        with i18n.use_locale("ja"):
            drawn = await asyncio.wait_for(chart.draw_timeline_png(devs, "日韓関係", "40件"), 120)
    finally:
        chart.stop_renderers()
    assert drawn == here
    assert png_size(drawn) == (1000, 460)


def _labels(fig: Any) -> list[Any]:
    from matplotlib.text import Annotation

    return [t for t in fig.axes[0].texts if isinstance(t, Annotation)]


def test_the_legend_says_what_filled_hollow_large_and_small_mean() -> None:
    fig = chart.timeline_figure(developments(12), "Japan–South Korea")
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "exact date",
        "month or year only",
        "minor",
        "notable",
        "major",
    ]
    with i18n.use_locale("ko"):
        fig = chart.timeline_figure(developments(12), "한일")
    assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["날짜 확정", "월 또는 연도만"]


def test_key_events_are_labelled_with_ids_and_short_titles_that_do_not_overlap() -> None:
    devs = developments(30)
    fig = chart.timeline_figure(devs, "Japan–South Korea")
    labels = _labels(fig)
    assert len(labels) >= 8
    by_id = {d.id: d for d in devs}
    renderer = fig.canvas.get_renderer()
    boxes = []
    for label in labels:
        text = label.get_text()
        dev_id = int(text.split()[0].lstrip("#"))
        assert text.startswith(f"#{dev_id} ") and by_id[dev_id].importance >= 2
        assert len(text) <= len(f"#{dev_id} ") + chart.LABEL_CHARS
        boxes.append(label.get_window_extent(renderer))
    for i, one in enumerate(boxes):
        assert not any(one.overlaps(other) for other in boxes[i + 1 :]), labels[i].get_text()
    short = chart.short_label(replace(devs[0], title="Yoon Suk-yeol and Fumio Kishida hold summit"))
    assert short == "#1 Yoon Suk-yeol and Fumio…"


def test_points_on_the_same_day_and_row_are_drawn_apart() -> None:
    base = developments(1)[0]
    same_day = [
        replace(base, id=i + 1, importance=1 + i % 3, domain="economy") for i in range(4)
    ] + [replace(base, id=9, domain="security")]
    fig = chart.timeline_figure(same_day, "Japan–South Korea")
    centres = [tuple(p) for c in fig.axes[0].collections for p in c.get_offsets()]
    assert len(centres) == 5 and len(set(centres)) == 5
    economy = [y for _x, y in centres if abs(y - DOMAINS.index("economy")) < 0.5]
    assert len(economy) == 4  # moved within the economy row, never into another row
