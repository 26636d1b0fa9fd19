"""A timeline as a PNG: developments on a time axis, one row per domain.

matplotlib is imported here, inside `render_timeline_png`, and nowhere at start-up: it
costs a few hundred milliseconds to import and only a chart needs it. The figure is built
with the object API (no pyplot, no global state), so charts can be drawn in worker threads
(`draw_timeline_png` runs one off the event loop).

Readable in Discord's dark and light themes: the chart is a card with its own mid-grey
background, light text and mid-tone markers. Labels use Noto Sans CJK (bundled by the
`noto-cjk-sans-otc` package), so Japanese, Korean and Chinese titles render.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
LABELS_MAX = 10  # key events named on the chart; more would overlap
DENSE = 150  # developments beyond which markers shrink
LABEL_CHARS = 38
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 4.6, 100
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own, for anything the CJK font lacks

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


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def key_events(devs: Sequence[Development], limit: int = LABELS_MAX) -> list[Development]:
    """The developments to name, in date order: the most important (notable or major),
    the most recent first among equals, skipping any too close in time to one already
    named so that labels spread over the chart instead of piling up."""
    if not devs:
        return []
    ranked = sorted(devs, key=lambda d: (d.importance, d.occurred.start, d.id), reverse=True)
    first = min(d.occurred.start for d in devs)
    last = max(d.occurred.start for d in devs)
    gap = (last - first).days / (limit + 1)
    chosen: list[Development] = []
    for d in ranked:
        if d.importance < 2 or len(chosen) == limit:
            break
        if all(abs((d.occurred.start - c.occurred.start).days) >= gap for c in chosen):
            chosen.append(d)
    return sorted(chosen, key=lambda d: (d.occurred.start, d.id))


def render_timeline_png(devs: Sequence[Development], title: str, subtitle: str = "") -> bytes:
    """The developments as a PNG (1000 × 460 px): x is the date, one row per domain,
    marker area by importance (hollow when only the month or year is known), the key
    events labelled. An empty list gives a chart that says so."""
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display, whatever the environment says
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(family=_families(), size=9)
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.11, 0.13, 0.86, 0.72), facecolor=BACKGROUND)
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
    else:
        _plot(ax, devs, rows, mdates)
        _label(ax, key_events(devs), rows, font, mdates)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(formatter)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor=BACKGROUND, metadata={"Software": None})
    return buffer.getvalue()


def _style_axes(ax: Any, font: Any, rows: dict[str, int]) -> None:
    ax.set_ylim(-0.6, len(rows) - 0.4)
    labels = [i18n.gettext(domain) for domain in rows]  # the reader's words for the domains
    ax.set_yticks(list(rows.values()), labels, fontproperties=font, color=TEXT)
    ax.tick_params(axis="x", colors=TEXT, labelsize=9)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color=GRID, alpha=0.35, linewidth=0.6)
    for y in rows.values():
        ax.axhline(y, color=GRID, alpha=0.25, linewidth=0.6, zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GRID)


def _day(d: date, mdates: Any) -> float:
    return float(mdates.date2num(d))


def _plot(ax: Any, devs: Sequence[Development], rows: dict[str, int], mdates: Any) -> None:
    """One scatter per domain and date precision: a few draw calls, however many points."""
    groups: dict[tuple[str, bool], tuple[list[float], list[float]]] = {}
    # Many markers on one row merge into a band: shrink them as the count grows.
    scale = min(1.0, (DENSE / len(devs)) ** 0.5)
    for d in devs:
        xs, sizes = groups.setdefault((d.domain, d.occurred.precision == "day"), ([], []))
        xs.append(_day(d.occurred.start, mdates))
        sizes.append(MARKER_AREA.get(d.importance, MARKER_AREA[2]) * scale)
    for (domain, exact), (xs, sizes) in groups.items():
        colour = DOMAIN_COLOURS.get(domain, TEXT)
        ax.scatter(
            xs, [rows.get(domain, 0)] * len(xs), s=sizes, zorder=3, linewidths=1.2,
            facecolors=colour if exact else "none", edgecolors=colour,
            alpha=0.85 if scale == 1.0 else 0.6,
        )  # fmt: skip
    low = min(d.occurred.start for d in devs)
    high = max(d.occurred.start for d in devs)
    pad = max((high - low).days * 0.04, 15.0)
    ax.set_xlim(_day(low, mdates) - pad, _day(high, mdates) + pad)


def _label(
    ax: Any, devs: Sequence[Development], rows: dict[str, int], font: Any, mdates: Any
) -> None:
    """Name the key events, alternating above and below their marker so neighbours on
    the same row do not print over each other."""
    low, high = ax.get_xlim()
    for i, d in enumerate(devs):
        above = i % 2 == 0
        x = _day(d.occurred.start, mdates)
        where = (x - low) / ((high - low) or 1.0)  # keep labels at the edges inside
        ha = "left" if where < 0.15 else "right" if where > 0.85 else "center"
        ax.annotate(
            _short(d.title), (x, rows.get(d.domain, 0)),
            xytext=(0, 11 if above else -11), textcoords="offset points",
            ha=ha, va="bottom" if above else "top", color=TEXT,
            fontproperties=font, fontsize=7.5, zorder=4, annotation_clip=False,
        )  # fmt: skip


#: Charts drawn at once (each holds a core for 0.3–1.4 s) and charts allowed to wait for
#: one of those: more is refused ("try again") rather than queued behind minutes of work.
RENDERS_MAX = 2
WAITING_MAX = 4

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_in_flight = 0


def _renderers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=RENDERS_MAX, thread_name_prefix="chart")
        return _pool


async def draw_timeline_png(devs: Sequence[Development], title: str, subtitle: str = "") -> bytes:
    """`render_timeline_png` off the event loop, at most `RENDERS_MAX` at a time; `TryAgain`
    when `WAITING_MAX` more already wait. The reader's locale goes with it (the worker
    thread does not share the caller's context otherwise)."""
    global _in_flight
    if _in_flight >= RENDERS_MAX + WAITING_MAX:
        raise TryAgain(
            i18n.gettext("Many charts are being drawn right now; try again in a few seconds.")
        )
    _in_flight += 1
    try:
        work = functools.partial(render_timeline_png, list(devs), title, subtitle)
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_renderers(), context.run, work)
    finally:
        _in_flight -= 1


def timeline_caption(tl: Timeline) -> str:
    """`12 developments · 2023-03-15 to 2023-04-14` (and how many are drawn when capped),
    in the reader's language."""
    shown = len(tl.developments)
    if shown < tl.total:
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
