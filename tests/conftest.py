"""Shared fixtures: a real SQLite file in tmp_path, the starter dataset, a fixed clock."""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.catalogue import Catalogue
from bot.core.dataset import load_starter
from harness.postgres import PostgresUnavailable, ThrowawayCluster
from storage.contract import Db
from storage.sqlite.database import Database
from tests.helpers import FixedClock

_pg_names = itertools.count(1)


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
async def sqlite_empty_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database without the starter dataset, for a SQLite-only test in a
    module whose `empty_db` runs on both backends."""
    db = await Database.open(tmp_path / "sqlite-only" / "briefbot.sqlite3")
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


# --- no deprecated APIs in our own code ------------------------------------------------------
# pyproject's filterwarnings turns our DeprecationWarnings into errors, but discord.py's
# `deprecated` decorator forces an "always" filter first, so its warnings (e.g. for
# TextInput(label=)) only get recorded. Any recorded one attributed to our code fails the run.
_ROOT = Path(__file__).resolve().parent.parent
_OWN_CODE = tuple(f"{_ROOT / d}/" for d in ("bot", "storage", "templates", "tests", "bench"))
_own_deprecations: list[str] = []


def pytest_warning_recorded(
    warning_message: warnings.WarningMessage, when: str, nodeid: str, location: object
) -> None:
    if issubclass(warning_message.category, DeprecationWarning) and str(
        warning_message.filename
    ).startswith(_OWN_CODE):
        _own_deprecations.append(
            f"{nodeid or when}: {warning_message.filename}:{warning_message.lineno}: "
            f"{warning_message.message}"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _own_deprecations and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _own_deprecations:
        terminalreporter.section("DeprecationWarnings from the project's own code (fail)")
        for line in dict.fromkeys(_own_deprecations):
            terminalreporter.write_line(line)


# --- PostgreSQL: one throwaway cluster for the whole run -------------------------------------
@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ThrowawayCluster]:
    """A PostgreSQL cluster started for this test run and removed after it. Without server
    binaries the PostgreSQL tests skip with the reason, unless BRIEFBOT_REQUIRE_POSTGRES=1
    (set by .ci/run), where a missing PostgreSQL fails instead of hiding half the suite."""
    try:
        cluster = ThrowawayCluster().start()
    except PostgresUnavailable as exc:
        if os.environ.get("BRIEFBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here: {exc}")
        pytest.skip(f"PostgreSQL half skipped: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_empty_db(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[Db]:
    """A migrated database without the starter dataset, once on each backend: a SQLite file,
    then a fresh database in the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        opened: Db = await Database.open(db_path)
    else:
        cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
        opened = await Database.open(cluster.create_database(f"any_{next(_pg_names)}"))
    yield opened
    await opened.close()


@pytest.fixture
async def any_db(any_empty_db: Db, clock: FixedClock) -> Db:
    """`any_empty_db` with the starter dataset loaded."""
    await load_starter(any_empty_db, clock)
    return any_empty_db


# --- a front end (or a whole bot) on either backend -------------------------------------------
#: Parametrize a front-end scenario with `@pytest.mark.parametrize("backend", BACKENDS)` to run
#: it on SQLite and on PostgreSQL; unparametrized, `backend` is SQLite.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def backend() -> str:
    """The database backend of a front-end test (SQLite unless parametrized)."""
    return "sqlite"


@pytest.fixture
def database_settings(
    backend: str, db_path: Path, request: pytest.FixtureRequest
) -> dict[str, Any]:
    """The `Settings` fields that choose the test's database: DATABASE_PATH's SQLite file, or
    DATABASE_URL naming a fresh database in the session's PostgreSQL cluster."""
    if backend == "postgresql":
        cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
        return {"database_url": cluster.create_database(f"bot_{next(_pg_names)}")}
    return {"database_path": db_path}
