"""`briefbot digest preview [--channel ID]`: the terminal rendering of a digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.catalogue import Catalogue
from bot.core.subscriptions import SubscriptionService
from storage.sqlite.database import Database
from tests.helpers import EDITOR, MOD_A, SCOPE_A, FixedClock, draft

CHANNEL = 123456789012345678


async def _seed(path: Path) -> None:
    now = datetime.now(UTC)
    db = await Database.open(path)
    try:
        await SubscriptionService(db, FixedClock(now - timedelta(days=1))).subscribe(
            MOD_A, SCOPE_A, CHANNEL, topics="japan-korea"
        )
        catalogue = Catalogue(db, FixedClock(now - timedelta(hours=1)))
        await catalogue.add(EDITOR, draft(title="Seoul and Tokyo talk"), scope="global")
    finally:
        await db.close()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    asyncio.run(_seed(path))
    return path


def test_preview_of_a_subscribed_channel(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "preview", "--channel", str(CHANNEL)]) == 0
    out = capsys.readouterr().out
    assert "Trilateral Brief — weekly digest" in out
    assert "JAPAN–SOUTH KOREA" in out and "NEW" in out
    assert "Seoul and Tokyo talk" in out
    assert "-#" not in out and "**" not in out  # plain text, not Discord markdown


def test_preview_without_a_channel_uses_the_default_topics(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "preview"]) == 0
    out = capsys.readouterr().out
    assert "US–Japan–South Korea, Japan–South Korea, US–Japan, US–South Korea" in out


def test_preview_of_an_unknown_channel_says_so(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "preview", "--channel", "42"]) == 2
    assert "channel 42 has no digest subscription" in capsys.readouterr().err
