"""The delivery tests' world: on both backends, or on SQLite where only it has the feature."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from harness.postgres import ThrowawayCluster
from storage.contract import Db
from storage.sqlite.database import Database
from tests.core.digests.test_delivery import World
from tests.helpers import FixedClock


@pytest.fixture
async def world(any_empty_db: Db, clock: FixedClock) -> AsyncIterator[World]:
    """A database, a clock and an engine over a fake Discord, once on each backend."""
    world = World(any_empty_db, clock)
    yield world
    await world.close()


@pytest.fixture
async def sqlite_world(empty_db: Database, clock: FixedClock) -> AsyncIterator[World]:
    """SQLite only: what the test covers exists only there (a folder of lock files beside
    the database file, imports)."""
    world = World(empty_db, clock)
    yield world
    await world.close()


_pg_worlds = itertools.count(1)


@pytest.fixture
async def pg_world(postgres_cluster: ThrowawayCluster, clock: FixedClock) -> AsyncIterator[World]:
    """PostgreSQL only: what the test covers exists only there (session advisory locks)."""
    db = await Database.open(postgres_cluster.create_database(f"sender_{next(_pg_worlds)}"))
    world = World(db, clock)
    yield world
    await world.close()
    await db.close()
