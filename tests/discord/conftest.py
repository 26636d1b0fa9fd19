"""SimCord fixtures: the real BriefBot against a simulated Discord, on a real SQLite file.

`world` builds two servers: Alpha (a moderator with Manage Server, a member, an editor
listed in EDITOR_IDS) and Beta (its own moderator).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
from simcord.backend.errors import BackendError
from simcord.env import Env
from simcord.types import HttpLogEntry

from bot.config import Settings
from bot.core.digests import delivery
from bot.discord.client import BriefBot
from harness.discord_rules import check_request

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def make_bot(db_path: Path, **settings: Any) -> BriefBot:
    """A fresh bot instance on the given database file (SimCord needs one per start)."""
    return BriefBot(Settings(database_path=db_path, **settings), clock=fixed_clock)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture(autouse=True)
def _quiet_watch(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the scheduler's watch job (a standby's takeover check) runs every 2 s.
    SimCord settles an action only once no timer is due within its 5 s window, so that job
    kept every action waiting ~4 s. These in-process bots are each the only process on their
    database: nothing to take over, so the job runs seldom here (the takeover has its own
    process tests)."""
    if backend == "postgresql":
        monkeypatch.setattr(delivery, "WATCH_SECONDS", 600.0)


@pytest.fixture
def simcord_bot(database_settings: dict[str, Any]) -> BriefBot:
    """The bot on the test's database (SQLite, or PostgreSQL where a test parametrizes
    `backend`)."""
    return BriefBot(Settings(**database_settings), clock=fixed_clock)


def pings_possible(body: Any) -> list[str]:
    """The project's own rule on top of Discord's: nothing posted may ping anyone, so a
    body with text says `allowed_mentions: {"parse": []}`."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("data"), dict) and body.get("type") in (4, 7):
        body = body["data"]
    has_text = body.get("content") or body.get("embeds")
    if has_text and body.get("allowed_mentions") != {"parse": []}:
        return ["allowed_mentions must be {'parse': []} (nothing posted may ping)"]
    return []


class CheckedRequests(list[HttpLogEntry]):
    """SimCord's request log, checking each request against what Discord refuses
    (harness.discord_rules) as it is made: a refused request answers the bot with Discord's
    400 50035, and is kept in `refused` so the test fails even when the bot swallows it."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    def append(self, entry: HttpLogEntry) -> None:
        """Log the request, refusing it as Discord would when it breaks a rule."""
        super().append(entry)
        problems = check_request(entry.method, entry.path, entry.json)
        if entry.method in ("POST", "PATCH"):
            problems += pings_possible(entry.json)
        if problems:
            self.refused.append(f"{entry.method} {entry.path}: " + "; ".join(problems))
            raise BackendError(400, 50035, "Invalid Form Body: " + "; ".join(problems))


@pytest.fixture
async def simcord_env(simcord_bot: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """SimCord's own fixture, with every request the bot sends checked (see CheckedRequests);
    a test ends in failure if Discord would have refused one of them."""
    marker = request.node.get_closest_marker("simcord")
    env = Env(simcord_bot, **(marker.kwargs if marker else {}))
    checked = CheckedRequests()
    env.backend.http_requests = checked
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()
        if env.check_errors:
            env._raise_errors_since(env._errors_acknowledged)
    assert not checked.refused, "Discord would refuse:\n" + "\n".join(checked.refused)


@dataclass
class World:
    env: Any
    alpha: Any
    beta: Any
    general: Any
    beta_general: Any
    mod: Any
    member: Any
    editor: Any
    beta_mod: Any

    def make_editor(self, *users: Any) -> None:
        """List users in EDITOR_IDS of the running bot."""
        svc = self.env.bot.services
        svc.settings = replace(svc.settings, editor_ids=frozenset(u.id for u in users))


@pytest.fixture
def world(simcord_env: Any) -> World:
    env = simcord_env
    alpha = env.create_guild("Alpha")
    beta = env.create_guild("Beta")
    general = alpha.create_text_channel("general")
    beta_general = beta.create_text_channel("general")
    mods = alpha.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    beta_mods = beta.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    w = World(
        env=env,
        alpha=alpha,
        beta=beta,
        general=general,
        beta_general=beta_general,
        mod=alpha.add_member(env.create_user("mod"), roles=[mods]),
        member=alpha.add_member(env.create_user("member")),
        editor=alpha.add_member(env.create_user("editor")),
        beta_mod=beta.add_member(env.create_user("betamod"), roles=[beta_mods]),
    )
    w.make_editor(w.editor)
    return w


def modal_id(result: Any, label: str) -> str:
    """The custom_id of a modal input by its label."""

    def walk(nodes: list[dict[str, Any]]) -> Any:
        for n in nodes:
            yield n
            yield from walk(n.get("components") or [])
            if n.get("component"):
                yield from walk([n["component"]])

    for n in walk(result.modal["components"]):
        if n.get("label") == label:
            return str(n.get("custom_id") or n["component"]["custom_id"])
    raise KeyError(label)


def text_of(result: Any) -> str:
    """Everything a response shows: content plus every embed's title, description, footer."""
    msg = result.response
    parts = [msg.content or ""]
    for e in msg.embeds:
        parts += [e.title or "", e.description or "", e.footer.text or ""]
    return "\n".join(parts)
