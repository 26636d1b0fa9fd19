"""Draw the README's pictures: a brief and a digest as Telegram and Discord show them, and the
timeline chart, from the real bot on a fresh starter database.

Telegram's come from the real python-telegram-bot Application against the loopback fake Bot
API (harness/fake_telegram.py): what the fake received is what a chat would show. Discord's
come from the templates and embed builder the cogs use. Each message is laid out as the app
lays it out (HTML and CSS written here) and photographed by headless Chromium.

    apt-get install chromium fonts-noto-cjk
    .venv/bin/python docs/screenshots.py            # writes docs/screenshots/*.png
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.core import lookup  # noqa: E402
from bot.core.actors import Actor  # noqa: E402
from bot.core.briefs import compose_brief  # noqa: E402
from bot.core.chart import draw_timeline  # noqa: E402
from bot.core.digests.building import preview_text  # noqa: E402
from bot.core.validation import validate_development  # noqa: E402
from bot.discord.exts._common import embed_pages  # noqa: E402
from bot.services import Services, open_services  # noqa: E402
from bot.telegram.app import TelegramBot  # noqa: E402
from bot.telegram.common import TelegramConfig  # noqa: E402
from harness.fake_telegram import TOKEN, FakeTelegram  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH = 720
READER = 5550003
EDITOR = Actor(user_id="docs", name="docs", scope=None, is_moderator=False, is_editor=True)
NEWS = (
    {
        "title": "Seoul, Tokyo and Washington hold their first trilateral cyber dialogue",
        "summary": "Officials agreed to share threat intelligence on North Korean hackers.",
        "date": "2023-04-20",
        "countries": "US JP KR",
        "domain": "security",
        "importance": "3",
        "sources": "https://example.org/cyber | Yonhap | Trilateral cyber dialogue | 2023-04-20",
    },
    {
        "title": "Japan and South Korea resume finance ministers' dialogue after seven years",
        "summary": "The ministers agreed to cooperate on supply chains and currency stability.",
        "date": "2023-04-21",
        "countries": "JP KR",
        "domain": "economy",
        "importance": "2",
        "sources": "https://example.org/finance | Kyodo | Finance dialogue resumes | 2023-04-21",
    },
)


class Clock:
    """The bot's time, moved by hand: a Monday in April 2023, when the starter data is new."""

    def __init__(self) -> None:
        self.now = datetime(2023, 4, 17, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


# --- how the apps lay a message out ---------------------------------------------------------

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; padding: 16px; width: {width}px; box-sizing: border-box; background: {bg};
  font: 15px/1.38 "Noto Sans", "Noto Sans CJK JP", "DejaVu Sans", sans-serif; }}
.bubble {{ background: #fff; border-radius: 12px; padding: 8px 12px; color: #000;
  box-shadow: 0 1px 1px rgba(0,0,0,.15); white-space: pre-wrap; word-wrap: break-word; }}
.bubble a {{ color: #168acd; text-decoration: none; }}
.bubble code {{ font-family: "DejaVu Sans Mono", monospace; font-size: 13px; color: #b0324f; }}
.msg {{ color: #dbdee1; }} .msg a {{ color: #00a8fc; text-decoration: none; }}
.who {{ color: #f2f3f5; font-weight: 600; }} .who small {{ color: #949ba4; font-weight: 400;
  font-size: 12px; margin-left: 6px; }}
.embed {{ background: #2b2d31; border-left: 4px solid #5865f2; border-radius: 4px;
  padding: 10px 14px; margin-top: 4px; white-space: pre-wrap; }}
.embed .title {{ color: #f2f3f5; font-weight: 700; margin-bottom: 6px; }}
.embed .footer, .sub {{ color: #949ba4; font-size: 12px; }}
.msg code, .embed code {{ background: #1e1f22; border-radius: 3px; padding: 0 3px;
  font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }}
h2 {{ font-size: 20px; margin: 0; color: #f2f3f5; }} h3 {{ font-size: 16px; margin: 0;
  color: #f2f3f5; }}
img {{ max-width: 100%; border-radius: 6px; margin-top: 6px; display: block; }}
</style></head><body>{body}</body></html>"""
TELEGRAM_BG = "#8fb48a"
DISCORD_BG = "#313338"


def telegram_page(parts: list[str]) -> str:
    """Telegram HTML as the app shows it: a message bubble per part."""
    bubbles = "".join(f'<div class="bubble">{p}</div><div style="height:8px"></div>' for p in parts)
    return PAGE.format(width=WIDTH, bg=TELEGRAM_BG, body=bubbles)


def discord_markdown(text: str) -> str:
    """The Markdown Discord renders (headings, bold, italics, code, small text, timestamps)."""
    out = []
    for line in html.escape(text, quote=False).split("\n"):
        line = re.sub(r"&lt;t:(\d+):[a-zA-Z]&gt;", _timestamp, line)
        line = re.sub(r"`([^`]*)`", r"<code>\1</code>", line)
        line = re.sub(r"\[([^\]]+)\]\(&lt;([^)]+?)&gt;\)", r'<a href="\2">\1</a>', line)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", line)
        line = re.sub(r"\\([\\`*_~|>#\-\[\]()<])", r"\1", line)
        if line.startswith("## "):
            line = f"<h2>{line[3:]}</h2>"
        elif line.startswith("### "):
            line = f"<h3>{line[4:]}</h3>"
        elif line.startswith("-# "):
            line = f'<span class="sub">{line[3:]}</span>'
        elif line.startswith("- "):
            line = "• " + line[2:]
        out.append(line)
    return "\n".join(out)


def _timestamp(match: re.Match[str]) -> str:
    moment = datetime.fromtimestamp(int(match[1]), UTC)
    return f"{moment:%d %B %Y %H:%M}"


def discord_page(
    content: str = "", embeds: Sequence[tuple[str, str, str]] = (), image: str = ""
) -> str:
    """A message by the bot in Discord's dark theme: content, embeds, an attached image."""
    body = '<div class="msg"><div class="who">Trilateral Brief<small>BOT</small></div>'
    if content:
        body += f"<div style='white-space:pre-wrap'>{discord_markdown(content)}</div>"
    for title, description, footer in embeds:
        body += (
            f'<div class="embed"><div class="title">{discord_markdown(title)}</div>'
            f"{discord_markdown(description)}"
            f'<div class="footer">{html.escape(footer)}</div></div>'
        )
    if image:
        body += f'<img src="{image}">'
    return PAGE.format(width=WIDTH, bg=DISCORD_BG, body=body + "</div>")


# --- photographing ------------------------------------------------------------------------


def photograph(page: str, name: str, background: str) -> Path:
    """The page as a PNG cut to its content, in few colours (small files)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is needed: apt-get install chromium fonts-noto-cjk")
    with tempfile.TemporaryDirectory() as folder:
        source, shot = Path(folder) / "page.html", Path(folder) / "shot.png"
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={WIDTH},4000",
                f"--screenshot={shot}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        image = Image.open(shot).convert("RGB")
    target = OUT / f"{name}.png"
    _cropped(image, background).quantize(colors=96).save(target, optimize=True)
    return target


def _cropped(image: Image.Image, background: str) -> Image.Image:
    """Cut the empty page below the last message."""
    fill = tuple(int(background[i : i + 2], 16) for i in (1, 3, 5))
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    bottom = height
    while bottom > 1 and all(pixels[x, bottom - 1] == fill for x in range(0, width, 7)):
        bottom -= 1
    return image.crop((0, 0, width, min(height, bottom + 16)))


# --- the messages ---------------------------------------------------------------------------


async def telegram_messages(services: Services, clock: Clock) -> tuple[list[str], list[str]]:
    """(the brief, the digest preview) as the fake Bot API received them."""
    fake = FakeTelegram()
    await fake.start()
    bot = TelegramBot(services, TelegramConfig(token=TOKEN, api_url=fake.base_url))
    await bot.start(poll_timeout=1, digests=False)
    try:
        fake.message(READER, READER, "/brief trilateral")
        brief = [s.text for s in await fake.wait_sent(READER, 1)]
        fake.message(READER, READER, "/subscribe trilateral,japan-korea weekly monday 09:00 UTC")
        await fake.wait_sent(READER, 2)
        fake.message(READER, READER, "/digest preview")
        digest = [s.text for s in (await fake.wait_sent(READER, 3))[2:]]
    finally:
        await bot.stop()
        await fake.stop()
    return brief, digest


async def draw(folder: Path) -> list[Path]:
    clock = Clock()
    services = await open_services(Settings(database_path=folder / "briefbot.sqlite3"), clock=clock)
    try:
        clock.now += timedelta(days=3)
        for raw in NEWS:
            await services.catalogue.add(EDITOR, validate_development(raw))
        clock.now = datetime(2023, 4, 24, 8, 0, tzinfo=UTC)
        renderer = services.renderers.discord
        brief = await compose_brief(services.db, "trilateral", None, clock=clock)
        pages = embed_pages(renderer, "brief.j2", brief=brief)
        embeds = [(e.title or "", e.description or "", e.footer.text or "") for e in pages[:1]]
        digest = await preview_text(services.db, renderer, clock())
        timeline = await lookup.timeline(services.db, "trilateral", None)
        chart = folder / "chart.png"
        chart.write_bytes(await draw_timeline(timeline))
        timeline_embed = embed_pages(renderer, "timeline.j2", timeline=timeline)[0]
        tg_brief, tg_digest = await telegram_messages(services, clock)
    finally:
        await services.close()
    OUT.mkdir(parents=True, exist_ok=True)
    return [
        photograph(telegram_page(tg_brief), "telegram-brief", TELEGRAM_BG),
        photograph(telegram_page(tg_digest), "telegram-digest", TELEGRAM_BG),
        photograph(discord_page(embeds=embeds), "discord-brief", DISCORD_BG),
        photograph(discord_page(content=digest), "discord-digest", DISCORD_BG),
        photograph(
            discord_page(
                embeds=[
                    (
                        timeline_embed.title or "",
                        timeline_embed.description or "",
                        timeline_embed.footer.text or "",
                    )
                ],
                image=chart.as_uri(),
            ),
            "discord-chart",
            DISCORD_BG,
        ),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for path in asyncio.run(draw(Path(folder))):
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
