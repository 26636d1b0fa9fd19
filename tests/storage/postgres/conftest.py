"""A fresh PostgreSQL database for each test, in the session's throwaway cluster."""

from __future__ import annotations

import itertools

import pytest

from harness.postgres import ThrowawayCluster

_names = itertools.count(1)


@pytest.fixture
def pg_url(postgres_cluster: ThrowawayCluster) -> str:
    """The URL of a new, empty database."""
    return postgres_cluster.create_database(f"test_{next(_names)}")
