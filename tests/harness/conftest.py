"""Where the delivery processes' database lives: a SQLite file, or a PostgreSQL database."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from harness.postgres import ThrowawayCluster

_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The `--db` of every worker process of a test, once on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "bot.sqlite3")
    cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"workers_{next(_names)}")
