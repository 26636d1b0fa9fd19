"""Shared fixtures: a real SQLite file in tmp_path, the starter dataset, a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.catalogue import Catalogue
from bot.core.dataset import load_starter
from storage.database import Database
from tests.helpers import FixedClock


@pytest.fixture
def clock() -> FixedClock:
    """A fixed, aware UTC clock (1 May 2023, 09:30)."""
    return FixedClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives."""
    return tmp_path / "data" / "briefbot.sqlite3"


@pytest.fixture
async def empty_db(db_path: Path) -> AsyncIterator[Database]:
    """A migrated database without the starter dataset."""
    db = await Database.open(db_path)
    yield db
    await db.close()


@pytest.fixture
async def db(empty_db: Database, clock: FixedClock) -> Database:
    """A migrated database with the starter dataset loaded."""
    await load_starter(empty_db, clock)
    return empty_db


@pytest.fixture
def catalogue(db: Database, clock: FixedClock) -> Catalogue:
    """The catalogue service over the starter database."""
    return Catalogue(db, clock)


@pytest.fixture(autouse=True)
async def _close_leftover_databases() -> AsyncIterator[None]:
    """Close databases a test left open (e.g. a bot detached by SimCord's restart_bot):
    an open aiosqlite connection keeps the test process alive after the last test."""
    yield
    for leftover in list(Database.opened):
        await leftover.close()
