"""SimCord fixtures: the real BriefBot against a simulated Discord, on a real SQLite file.

`world` builds two servers: Alpha (a moderator with Manage Server, a member, an editor
listed in EDITOR_IDS) and Beta (its own moderator).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from bot.discord.client import BriefBot

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def make_bot(db_path: Path, **settings: Any) -> BriefBot:
    """A fresh bot instance on the given database file (SimCord needs one per start)."""
    return BriefBot(Settings(database_path=db_path, **settings), clock=fixed_clock)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture
def simcord_bot(db_path: Path) -> BriefBot:
    return make_bot(db_path)


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
