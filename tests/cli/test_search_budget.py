"""`briefbot search` past its time budget: one line saying to narrow it, exit code 2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.dataset import load_starter
from storage import catalogue as queries
from storage.sqlite.database import Database
from tests.helpers import FixedClock


async def _seed(path: Path) -> None:
    db = await Database.open(path)
    try:
        await load_starter(db, FixedClock())
    finally:
        await db.close()


def test_a_search_past_its_time_budget_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.sqlite3"
    asyncio.run(_seed(path))
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    assert main(["search", "summit"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(queries, "SEARCH_BUDGET_S", 0.0)
    assert main(["search", "summit"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "briefbot: That search is too broad to answer quickly: add more words, use longer "
        "words, or choose a topic."
    ]
