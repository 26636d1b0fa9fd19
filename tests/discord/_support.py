"""Helpers shared by the cog tests: filling the development form, reading the SQLite file
directly, acknowledging refusals, and checking that nothing the bot sent can ping."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from bot.discord.exts._common import unwrap
from tests.discord.conftest import modal_id

TITLE = "Title"
DATE = "Date"
SUMMARY = "Summary"
SOURCES = "Sources, one per line"
WHY = "Why it matters (optional)"
COUNTRIES = "Countries"
DOMAIN = "Domain"
KIND = "Kind"
IMPORTANCE = "Importance"
TAGS = "Tags (optional)"
BOTTOM_LINE = "Bottom line"
TREND = "Trend"
WATCH = "Watch next (up to 5, one per line)"
NEXT = "Next: countries, domain, kind"

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
    why: str = "",
) -> dict[str, str]:
    """Values for step 1 of the development form, keyed by custom_id (found by label)."""
    return {
        modal_id(shown, TITLE): title,
        modal_id(shown, DATE): date,
        modal_id(shown, SUMMARY): summary,
        modal_id(shown, SOURCES): sources,
        modal_id(shown, WHY): why,
    }


def choice_form(
    shown: Any,
    *,
    countries: tuple[str, ...] = ("JP", "KR"),
    domain: str = "economy",
    kind: str = "event",
    importance: str = "2",
    tags: str = "supply-chain",
) -> dict[str, Any]:
    """Values for step 2 (the selects), keyed by custom_id."""
    return {
        modal_id(shown, COUNTRIES): list(countries),
        modal_id(shown, DOMAIN): [domain],
        modal_id(shown, KIND): [kind],
        modal_id(shown, IMPORTANCE): [importance],
        modal_id(shown, TAGS): tags,
    }


async def second_step(actor: Any, first: Any) -> Any:
    """After step 1 was accepted: press the button that opens step 2."""
    assert first.response is not None and "Step 2 of 2" in first.response.content, (
        first.response and first.response.content
    )
    shown = await actor.click(first.response, label=NEXT)
    assert shown.modal is not None
    return shown


async def add_development(
    actor: Any,
    channel: Any,
    options: dict[str, Any] | None = None,
    choices: dict[str, Any] | None = None,
    **fields: str,
) -> tuple[Any, int]:
    """Run /development add through both steps; returns the answer and the new id."""
    shown = await actor.slash(channel, "development add", **(options or {}))
    assert shown.modal is not None, shown.response and shown.response.content
    first = await actor.submit_modal(shown, dev_form(shown, **fields))
    step_two = await second_step(actor, first)
    done = await actor.submit_modal(step_two, choice_form(step_two, **(choices or {})))
    assert done.response is not None
    match = re.search(r"Added development \*\*#(\d+)\*\*", done.response.content)
    assert match, done.response.content
    return done, int(match[1])


async def edit_development(
    actor: Any,
    channel: Any,
    dev_id: int,
    text: dict[str, str] | None = None,
    choices: dict[str, Any] | None = None,
) -> Any:
    """Run /development edit through both steps, changing the fields given by label and
    leaving every other value as prefilled; returns the final answer."""
    shown = await actor.slash(channel, "development edit", id=str(dev_id))
    assert shown.modal is not None, shown.response and shown.response.content
    typed = {**prefilled(shown), **{modal_id(shown, k): v for k, v in (text or {}).items()}}
    first = await actor.submit_modal(shown, typed)
    if first.response is None or "Step 2 of 2" not in first.response.content:
        return first  # refused at step 1
    step_two = await second_step(actor, first)
    chosen = {modal_id(step_two, k): v for k, v in (choices or {}).items()}
    return await actor.submit_modal(step_two, {**prefilled(step_two), **chosen})


def _controls(result: Any) -> list[tuple[str, dict[str, Any]]]:
    """(label, control) for every control of a shown modal."""
    found: list[tuple[str, dict[str, Any]]] = []
    for n in result.modal["components"]:
        if n.get("type") == 18:
            found.append((n["label"], n["component"]))
        for child in n.get("components") or []:
            found.append((child.get("label", ""), child))
    return found


def _prefill(control: dict[str, Any]) -> Any:
    if control.get("type") == 4:
        return control.get("value", "")
    return [o["value"] for o in control.get("options", []) if o.get("default")]


def modal_values(result: Any) -> dict[str, Any]:
    """What a shown modal is prefilled with, by label: text, or the chosen select values."""
    return {label: _prefill(control) for label, control in _controls(result)}


def prefilled(result: Any) -> dict[str, Any]:
    """A modal's prefilled values by custom_id: what Discord submits when nothing is
    changed (SimCord submits only the values given, so tests pass these explicitly)."""
    return {control["custom_id"]: _prefill(control) for _, control in _controls(result)}


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
