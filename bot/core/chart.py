"""A timeline as a PNG: developments on a time axis, one row per domain.

matplotlib is imported here, inside `render_timeline_png`, and nowhere at start-up: it
costs a few hundred milliseconds to import and only a chart needs it. The figure is built
with the object API (no pyplot, no global state); `draw_timeline_png` draws one in a small
pool of worker processes, off the event loop and outside its GIL.

Readable in Discord's dark and light themes: the chart is a card with its own mid-grey
background, light text and mid-tone markers. Labels use Noto Sans CJK (bundled by the
`noto-cjk-sans-otc` package), so Japanese, Korean and Chinese titles render.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import multiprocessing
import os
import threading
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import i18n
from bot.domain.errors import TryAgain
from bot.domain.models import DOMAINS, Development

if TYPE_CHECKING:
    from bot.core.lookup import Timeline

log = logging.getLogger(__name__)

BACKGROUND = "#4A505C"  # mid slate: a card that sits well on both Discord themes
TEXT = "#EEF0F3"
GRID = "#8A919E"
SUBTLE = "#C3C8D0"
DOMAIN_COLOURS = {
    "security": "#F07C74",
    "economy": "#5CC59A",
    "diplomacy": "#74A9F0",
    "society": "#E8B85A",
}
MARKER_AREA = {1: 28.0, 2: 80.0, 3: 190.0}  # points², by importance
LABELS_MAX = 10  # key events named on the chart; more would crowd it
DENSE = 150  # developments beyond which markers shrink
LABEL_CHARS = 30  # a short title: enough words to recognise the event, then the id
LABEL_POINTS = 7.5  # label font size
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 4.6, 100
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own, for anything the CJK font lacks
#: Where in its row a point may sit (in rows): points that would cover each other on the
#: same row move to the next free lane, above or below the row's line.
LANES = (0.0, -0.22, 0.22, -0.42, 0.42)
#: Label positions tried, nearest first (points above (+) or below (-) the marker).
LABEL_OFFSETS = (11.0, -11.0, 23.0, -23.0, 35.0, -35.0)

_font_lock = threading.Lock()
_font_family: list[str] | None = None


def _families() -> list[str]:
    """Register the bundled CJK font once; the family list to draw text with."""
    global _font_family
    with _font_lock:
        if _font_family is None:
            from matplotlib import font_manager

            try:
                import noto_cjk_sans_otc

                path = str(noto_cjk_sans_otc.FONT_PATH)
                font_manager.fontManager.addfont(path)
                name = font_manager.FontProperties(fname=path).get_name()
                _font_family = [name, FALLBACK_FAMILY]
            except (ImportError, OSError, RuntimeError) as exc:  # still draw, in Latin
                log.warning("CJK font unavailable, chart text may miss glyphs: %s", exc)
                _font_family = [FALLBACK_FAMILY]
        return _font_family


def short_label(d: Development) -> str:
    """A key event's label: its id and its title cut at a word to about LABEL_CHARS
    characters (`#12 Yoon and Kishida hold…`)."""
    title = " ".join(d.title.split())
    if len(title) > LABEL_CHARS:
        cut = title[: LABEL_CHARS - 1]
        if " " in cut[LABEL_CHARS // 2 :]:  # a word boundary late enough to keep meaning
            cut = cut[: cut.rindex(" ")]
        title = cut.rstrip(" ,;:–—-") + "…"
    return f"#{d.id} {title}"


def key_events(devs: Sequence[Development], limit: int = LABELS_MAX) -> list[Development]:
    """The developments to name, in date order: the most important (notable or major),
    the most recent first among equals, skipping any too close in time to one already
    named on the same row so that labels spread over the chart instead of piling up."""
    if not devs:
        return []
    ranked = sorted(devs, key=lambda d: (d.importance, d.occurred.start, d.id), reverse=True)
    first = min(d.occurred.start for d in devs)
    last = max(d.occurred.start for d in devs)
    # Placement keeps labels apart (see `_label`): only events almost on the same day are
    # skipped, so a short timeline gets as many labels as a long one.
    gap = (last - first).days / (limit * 4)
    chosen: list[Development] = []
    for d in ranked:
        if d.importance < 2 or len(chosen) == limit:
            break
        if all(
            c.domain != d.domain or abs((d.occurred.start - c.occurred.start).days) >= gap
            for c in chosen
        ):
            chosen.append(d)
    return sorted(chosen, key=lambda d: (d.occurred.start, d.id))


def render_timeline_png(devs: Sequence[Development], title: str, subtitle: str = "") -> bytes:
    """The developments as a PNG (1000 × 460 px): see `timeline_figure`."""
    fig = timeline_figure(devs, title, subtitle)
    buffer = io.BytesIO()
    # zlib level 3: a few per cent larger than the default 6, a third of the encoding time.
    fig.savefig(
        buffer, format="png", facecolor=BACKGROUND, metadata={"Software": None},
        pil_kwargs={"compress_level": 3},
    )  # fmt: skip
    return buffer.getvalue()


def timeline_figure(devs: Sequence[Development], title: str, subtitle: str = "") -> Any:
    """The chart as a matplotlib `Figure`: x is the date, one row per domain (in its
    colour), marker area by importance and hollow when only the month or year is known (a
    legend says so), points that would cover each other moved apart within their row, and
    the key events labelled with their id and a short title where a label fits without
    covering another. An empty list gives a chart that says so."""
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display, whatever the environment says
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(family=_families(), size=9)
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.11, 0.13, 0.86, 0.70), facecolor=BACKGROUND)
    rows: dict[str, int] = {domain: i for i, domain in enumerate(DOMAINS)}
    _style_axes(ax, font, rows)
    fig.text(0.11, 0.94, title, color=TEXT, fontproperties=font, fontsize=13, va="center")
    if subtitle:
        fig.text(0.11, 0.885, subtitle, color=SUBTLE, fontproperties=font, va="center")
    if not devs:
        ax.text(
            0.5, 0.5, i18n.gettext("No developments in this range"), transform=ax.transAxes,
            ha="center", va="center", color=TEXT, fontproperties=font, fontsize=12,
        )  # fmt: skip
        ax.set_xticks([])
        return fig
    _legend(fig, font)
    where, areas = _plot(ax, devs, rows, mdates)
    _label(fig, ax, key_events(devs), where, areas, font)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    return fig


def _style_axes(ax: Any, font: Any, rows: dict[str, int]) -> None:
    ax.set_ylim(-0.6, len(rows) - 0.4)
    labels = [i18n.gettext(domain) for domain in rows]  # the reader's words for the domains
    ax.set_yticks(list(rows.values()), labels, fontproperties=font, color=TEXT)
    for label, domain in zip(ax.get_yticklabels(), rows, strict=True):
        label.set_color(DOMAIN_COLOURS.get(domain, TEXT))  # the row's name says its colour
    ax.tick_params(axis="x", colors=TEXT, labelsize=9)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color=GRID, alpha=0.35, linewidth=0.6)
    for y in rows.values():
        ax.axhline(y, color=GRID, alpha=0.25, linewidth=0.6, zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)


def _legend(fig: Any, font: Any) -> None:
    """What the markers mean, in the header's right: filled or hollow, and size."""
    from matplotlib.lines import Line2D

    def marker(area: float, filled: bool) -> Any:
        return Line2D(
            [], [], linestyle="none", marker="o", markersize=area**0.5,
            markerfacecolor=SUBTLE if filled else "none", markeredgecolor=SUBTLE,
            markeredgewidth=1.2,
        )  # fmt: skip

    handles = [
        marker(MARKER_AREA[2], True),
        marker(MARKER_AREA[2], False),
        marker(MARKER_AREA[1], True),
        marker(MARKER_AREA[2], True),
        marker(MARKER_AREA[3], True),
    ]
    labels = [
        i18n.gettext("exact date"),
        i18n.gettext("month or year only"),
        i18n.gettext("minor"),
        i18n.gettext("notable"),
        i18n.gettext("major"),
    ]
    fig.legend(
        handles, labels, loc="upper right", bbox_to_anchor=(0.975, 0.975), ncol=5,
        frameon=False, prop=font, labelcolor=SUBTLE, handletextpad=0.25,
        columnspacing=1.1, borderaxespad=0.0,
    )  # fmt: skip


_EPOCH = date(1970, 1, 1)


@functools.cache
def _epoch_number() -> float:
    from matplotlib import dates as mdates

    return float(mdates.date2num(_EPOCH))  # type: ignore[no-untyped-call]


def _day(d: date, mdates: Any) -> float:
    # matplotlib's date number, without date2num's per-call cost (a chart has thousands).
    return _epoch_number() + (d.toordinal() - _EPOCH.toordinal())


def _plot(
    ax: Any, devs: Sequence[Development], rows: dict[str, int], mdates: Any
) -> tuple[dict[int, tuple[float, float]], dict[int, float]]:
    """One scatter per domain and date precision (a few draw calls, however many points),
    large markers under small ones. Returns where each development was drawn (x, y) and
    its marker's area (points²)."""
    low = min(d.occurred.start for d in devs)
    high = max(d.occurred.start for d in devs)
    pad = max((high - low).days * 0.04, 15.0)
    ax.set_xlim(_day(low, mdates) - pad, _day(high, mdates) + pad)
    # Many markers on one row merge into a band: shrink them as the count grows.
    scale = min(1.0, (DENSE / len(devs)) ** 0.5)
    where = _spread(ax, devs, rows, scale, mdates)
    groups: dict[tuple[str, bool], list[tuple[float, float, float]]] = {}
    areas: dict[int, float] = {}
    for d in devs:
        x, y = where[d.id]
        area = areas[d.id] = MARKER_AREA.get(d.importance, MARKER_AREA[2]) * scale
        groups.setdefault((d.domain, d.occurred.precision == "day"), []).append((area, x, y))
    for (domain, exact), points in sorted(groups.items(), key=lambda g: not g[0][1]):
        points.sort(reverse=True)  # the largest first, so smaller ones stay visible on top
        colour = DOMAIN_COLOURS.get(domain, TEXT)
        ax.scatter(
            [p[1] for p in points], [p[2] for p in points], s=[p[0] for p in points],
            zorder=3 if exact else 3.5, linewidths=1.2,
            facecolors=colour if exact else "none", edgecolors=colour,
            alpha=0.85 if scale == 1.0 else 0.6,
        )  # fmt: skip
    return where, areas


def _spread(
    ax: Any, devs: Sequence[Development], rows: dict[str, int], scale: float, mdates: Any
) -> dict[int, tuple[float, float]]:
    """Each development's (x, y): on its row's line unless it would cover the previous
    point there, then in the first lane above or below the line that is free."""
    low, high = ax.get_xlim()
    width_px = ax.get_position().width * WIDTH_IN * DPI
    px_per_day = width_px / ((high - low) or 1.0)
    where: dict[int, tuple[float, float]] = {}
    ordered = sorted(devs, key=lambda d: (d.domain, d.occurred.start, -d.importance, d.id))
    # Per row and lane: the right edge (in pixels) of the last point placed there.
    edges: dict[tuple[str, int], float] = {}
    for d in ordered:
        x = _day(d.occurred.start, mdates)
        radius = (MARKER_AREA.get(d.importance, MARKER_AREA[2]) * scale) ** 0.5 / 2 * DPI / 72
        left = (x - low) * px_per_day - radius
        lane = next(
            (i for i in range(len(LANES)) if edges.get((d.domain, i), -1e9) <= left + 1.0),
            None,
        )
        if lane is None:  # every lane is taken here: the one whose last point is furthest back
            lane = min(range(len(LANES)), key=lambda i: edges[(d.domain, i)])
        edges[(d.domain, lane)] = left + 2 * radius
        where[d.id] = (x, rows.get(d.domain, 0) + LANES[lane])
    return where


def _label_size(text: str) -> tuple[float, float]:
    """A label's width and height in pixels, estimated generously from its characters
    (laying CJK text out to measure it costs more than drawing the whole chart's markers):
    wide characters an em, others 0.6 em."""
    em = LABEL_POINTS * DPI / 72
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return em * (wide + 0.6 * (len(text) - wide)), em * 1.3


def _label(
    fig: Any,
    ax: Any,
    devs: Sequence[Development],
    where: dict[int, tuple[float, float]],
    areas: dict[int, float],
    font: Any,
) -> None:
    """Name the key events, the most important first, each at the nearest place (above or
    below its marker, centred or to one side) inside the chart that covers no other label
    and, where the chart leaves room, no other marker; a label that fits nowhere is left
    out rather than printed over another. Labels sit on a card of the background colour,
    so they read even over markers."""
    import numpy as np
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    area = ax.get_window_extent(renderer)
    ids = list(where)
    centres = ax.transData.transform(np.array([where[i] for i in ids]))
    radii = np.sqrt(np.array([areas[i] for i in ids])) / 2 * DPI / 72
    index = {dev_id: n for n, dev_id in enumerate(ids)}
    small = font.copy()
    small.set_size(LABEL_POINTS)
    pad = 0.15 * LABEL_POINTS * DPI / 72  # the card around the text
    placed: list[Any] = []
    for d in sorted(devs, key=lambda d: (-d.importance, d.occurred.start, d.id)):
        text = short_label(d)
        width, height = _label_size(text)
        width, height = width + 2 * pad, height + 2 * pad
        px, py = centres[index[d.id]]
        others = np.ones(len(ids), dtype=bool)
        others[index[d.id]] = False
        fallback: tuple[float, str, Any] | None = None
        chosen: tuple[float, str, Any] | None = None
        for offset in LABEL_OFFSETS:
            lift = offset * DPI / 72
            y0 = py + lift if offset > 0 else py + lift - height
            for ha in ("center", "left", "right"):
                x0 = {"center": px - width / 2, "left": px - pad, "right": px - width + pad}[ha]
                box = Bbox.from_bounds(x0, y0, width, height)
                inside = (
                    box.x0 >= area.x0 - 40
                    and box.x1 <= area.x1 + 20
                    and box.y0 >= area.y0 + 2
                    and box.y1 <= area.y1 + 6
                )
                if not inside or any(box.overlaps(other) for other in placed):
                    continue
                covers = (
                    (centres[:, 0] + radii > box.x0)
                    & (centres[:, 0] - radii < box.x1)
                    & (centres[:, 1] + radii > box.y0)
                    & (centres[:, 1] - radii < box.y1)
                    & others
                )
                if not covers.any():
                    chosen = (offset, ha, box)
                    break
                fallback = fallback or (offset, ha, box)
            if chosen is not None:
                break
        chosen = chosen or fallback
        if chosen is None:
            continue
        offset, ha, box = chosen
        placed.append(box.expanded(1.04, 1.2))
        ax.annotate(
            text, where[d.id], xytext=(0, offset), textcoords="offset points",
            ha=ha, va="bottom" if offset > 0 else "top", color=TEXT,
            fontproperties=small, zorder=5, annotation_clip=False,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": BACKGROUND,
                  "edgecolor": "none", "alpha": 0.8},
            arrowprops=(
                {"arrowstyle": "-", "color": SUBTLE, "linewidth": 0.6, "shrinkA": 0,
                 "shrinkB": 4}
                if abs(offset) > 12 else None
            ),
        )  # fmt: skip


#: Charts drawn at once (each holds a core for 0.3–1.4 s) and charts allowed to wait for
#: one of those: more is refused ("try again") rather than queued behind minutes of work.
RENDERS_MAX = 2
WAITING_MAX = 4
#: How much lower than the bot's the drawing processes' CPU priority is: on a busy machine
#: the answers to commands come before the charts.
RENDER_NICENESS = 5

_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_in_flight = 0


def _start_renderer() -> None:
    """In each drawing process, once: a lower priority, and matplotlib and the fonts loaded
    before the first chart rather than during it."""
    with contextlib.suppress(OSError):
        os.nice(RENDER_NICENESS)
    import matplotlib

    matplotlib.use("Agg", force=False)
    _families()


def _render_in_locale(locale: str, devs: list[Development], title: str, subtitle: str) -> bytes:
    """`render_timeline_png` in a drawing process, in the reader's language (the process
    has its own locale)."""
    with i18n.use_locale(locale):
        return render_timeline_png(devs, title, subtitle)


def _renderers() -> ProcessPoolExecutor:
    """The drawing processes, started with the first chart and kept: a chart is CPU-bound
    Python (matplotlib holds the GIL), so a thread would stall the bot's event loop for its
    whole 0.3–1.4 s. Spawned, not forked: the bot's process has database threads running."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=RENDERS_MAX,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_renderer,
            )
        return _pool


def stop_renderers() -> None:
    """Stop the drawing processes (they start again with the next chart)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


async def _draw(devs: list[Development], title: str, subtitle: str) -> bytes:
    """One chart drawn by a drawing process."""
    global _pool
    loop = asyncio.get_running_loop()
    pool = _renderers()
    work = functools.partial(_render_in_locale, i18n.current.get(), devs, title, subtitle)
    try:
        return await loop.run_in_executor(pool, work)
    except BrokenProcessPool as error:  # a drawing process died (killed, out of memory)
        log.warning("a chart drawing process died; starting new ones: %s", error)
        with _pool_lock:
            if _pool is pool:
                _pool = None
        raise TryAgain(
            i18n.gettext("Many charts are being drawn right now; try again in a few seconds.")
        ) from error


async def draw_timeline_png(devs: Sequence[Development], title: str, subtitle: str = "") -> bytes:
    """`render_timeline_png` in a drawing process, at most `RENDERS_MAX` at a time;
    `TryAgain` when `WAITING_MAX` more already wait. The reader's locale goes with it."""
    global _in_flight
    if _in_flight >= RENDERS_MAX + WAITING_MAX:
        raise TryAgain(
            i18n.gettext("Many charts are being drawn right now; try again in a few seconds.")
        )
    _in_flight += 1
    try:
        return await _draw(list(devs), title, subtitle)
    finally:
        _in_flight -= 1


def timeline_caption(tl: Timeline) -> str:
    """`12 developments · 2023-03-15 to 2023-04-14` (and how many are drawn when capped),
    in the reader's language."""
    shown = len(tl.developments)
    if tl.more:
        count = i18n.gettext("More than {total} developments (the first {shown} drawn)").format(
            total=f"{tl.total:,}", shown=f"{shown:,}"
        )
    elif shown < tl.total:
        count = i18n.ngettext(
            "{total} development (the first {shown} drawn)",
            "{total} developments (the first {shown} drawn)",
            tl.total,
        ).format(total=f"{tl.total:,}", shown=f"{shown:,}")
    else:
        count = i18n.ngettext("{total} development", "{total} developments", tl.total).format(
            total=f"{tl.total:,}"
        )
    if tl.developments:
        first = tl.developments[0].occurred.iso()
        last = tl.developments[-1].occurred.iso()
        span = (
            first
            if last == first
            else i18n.gettext("{first} to {last}").format(first=first, last=last)
        )
        count = f"{count} · {span}"
    return count


async def draw_timeline(tl: Timeline) -> bytes:
    """A timeline's chart, drawn off the event loop."""
    title = i18n.gettext(tl.topic.title)
    return await draw_timeline_png(tl.developments, title, timeline_caption(tl))
