"""The PostgreSQL import figure (bench.pg_import) runs at a tiny size and reports a rate for a
catalogue that arrives whole. Not a timing assertion: `python -m bench.pg_import` measures."""

from __future__ import annotations

from bench.generate import generate
from bench.pg_import import pg_import_catalogue
from harness.postgres import ThrowawayCluster
from storage.postgres.database import PostgresDatabase


async def test_the_import_figure_imports_the_whole_catalogue(
    postgres_cluster: ThrowawayCluster,
) -> None:
    cat = generate(300, 5, seed=3)
    url = postgres_cluster.create_database("bench_import_smoke")
    figure = await pg_import_catalogue(url, cat)
    assert figure["rows"] == cat.stats["developments"] + cat.stats["sources"]
    assert figure["rows_per_s"] > 0 and figure["write_transactions"] >= 2
    db = await PostgresDatabase.open(url)
    try:
        assert await db.scalar("SELECT COUNT(*) FROM developments") == 300
        assert await db.scalar("SELECT COUNT(*) FROM sources") == cat.stats["sources"]
    finally:
        await db.close()
