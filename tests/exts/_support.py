"""Helpers shared by the cog tests: filling the development form, reading the SQLite file
directly, acknowledging refusals, and checking that nothing the bot sent can ping."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from bot.exts._common import unwrap
from tests.exts.conftest import modal_id

TITLE = "Title"
DATE = "Date (YYYY-MM-DD, YYYY-MM or YYYY)"
SUMMARY = "Summary"
SOURCES = "Sources, one per line"
DETAILS = "Countries | domain | tags"
BOTTOM_LINE = "Bottom line"
TREND = "Trend: improving, unchanged or deteriorating"
WATCH = "Watch next (up to 5, one per line)"

SOURCE_LINE = "https://example.com/report | Example Wire | Seoul and Tokyo sign a pact | 2026-11-20"
TABLES = (
    "developments",
    "development_topics",
    "sources",
    "revisions",
    "assessments",
    "scope_settings",
)


def dev_form(
    shown: Any,
    *,
    title: str = "Seoul and Tokyo sign a supply-chain pact",
    date: str = "2026-11-20",
    summary: str = "The two governments agree to share stockpiles of critical minerals.",
    sources: str = SOURCE_LINE,
    details: str = "JP KR | economy | supply-chain",
) -> dict[str, str]:
    """Values for the development modal, keyed by custom_id (found by label)."""
    return {
        modal_id(shown, TITLE): title,
        modal_id(shown, DATE): date,
        modal_id(shown, SUMMARY): summary,
        modal_id(shown, SOURCES): sources,
        modal_id(shown, DETAILS): details,
    }


async def add_development(
    actor: Any, channel: Any, options: dict[str, Any] | None = None, **fields: str
) -> tuple[Any, int]:
    """Run /development add and submit the form; returns the answer and the new id."""
    shown = await actor.slash(channel, "development add", **(options or {}))
    assert shown.modal is not None, shown.response and shown.response.content
    done = await actor.submit_modal(shown, dev_form(shown, **fields))
    assert done.response is not None
    match = re.search(r"Added development \*\*#(\d+)\*\*", done.response.content)
    assert match, done.response.content
    return done, int(match[1])


def modal_values(result: Any) -> dict[str, str]:
    """What a shown modal is prefilled with, by label."""
    found: dict[str, str] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for n in nodes:
            if n.get("type") == 4:
                found[n["label"]] = n.get("value", "")
            walk(n.get("components") or [])
            if n.get("component"):
                walk([n["component"]])

    walk(result.modal["components"])
    return found


def snapshot(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a command could change, read from the file itself."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        conn.close()


def count(db_path: Path, table: str) -> int:
    """Rows in one table of the file."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def refusals(env: Any) -> list[BaseException]:
    """The errors the bot answered since the last look, unwrapped (this acknowledges them)."""
    return [unwrap(e) for e in env.errors]


def bodies(env: Any) -> list[dict[str, Any]]:
    """Every message body the bot sent: channel posts, interaction answers, followups, edits."""
    found = []
    for entry in env.http_requests:
        body = entry.json
        if not isinstance(body, dict):
            continue
        if isinstance(body.get("data"), dict) and "type" in body:  # interaction callback
            body = body["data"]
        if body.get("content") or body.get("embeds"):
            found.append(body)
    return found


def assert_no_pings(env: Any) -> int:
    """Every body with text carries allowed_mentions none; returns how many were checked."""
    sent = bodies(env)
    for body in sent:
        assert body.get("allowed_mentions") == {"parse": []}, body
    return len(sent)


def embed_size(embed: Any) -> int:
    """Discord's count towards the 6,000-character total of one embed."""
    size = len(embed.title or "") + len(embed.description or "") + len(embed.footer.text or "")
    size += len(embed.author.name or "")
    for f in embed.fields:
        size += len(f.name) + len(f.value)
    return size


def assert_within_limits(message: Any) -> None:
    """A message (ResponseMessage or discord.Message) fits every Discord limit."""
    assert len(message.content or "") <= 2000
    assert len(message.embeds) <= 10
    total = 0
    for e in message.embeds:
        assert len(e.title or "") <= 256
        assert len(e.description or "") <= 4096
        assert len(e.footer.text or "") <= 2048
        total += embed_size(e)
    assert total <= 6000


def refused(result: Any) -> str:
    """The text of the ephemeral answer the caller got, asserting nothing else is visible:
    a direct answer, or a private followup after a public "thinking…" was removed."""
    shown = [m for m in (result.response, *result.followups) if m is not None]
    assert shown, "the interaction was not answered"
    assert all(m.ephemeral for m in shown), [m.content for m in shown]
    return str(shown[-1].content)


async def bulk_add(env: Any, n: int, *, guild_id: int | None = None, **fields: Any) -> list[int]:
    """Add `n` japan-korea developments through the bot's own catalogue service (what the
    form does after validation), dated one day apart from 1 Jan 2020."""
    from datetime import date, timedelta

    from bot.core.actors import OPERATOR, Actor
    from bot.core.validation import validate_development
    from bot.domain.scope import Scope

    actor = (
        OPERATOR
        if guild_id is None
        else Actor(user_id="1", name="seed", scope=Scope.discord(guild_id), is_moderator=True)
    )
    ids = []
    for i in range(n):
        day = date(2020, 1, 1) + timedelta(days=i)
        raw = {
            "title": f"Bulk development number {i:03d}",
            "summary": f"Summary of bulk development {i}.",
            "date": day.isoformat(),
            "countries": "JP KR",
            "domain": "diplomacy",
            "sources": f"https://example.com/bulk/{i} | Wire | Bulk {i}",
            **fields,
        }
        dev = await env.bot.services.catalogue.add(actor, validate_development(raw))
        ids.append(dev.id)
    return ids
