"""The planner's statistics after a bulk write.

PostgreSQL plans each query from per-table statistics that `ANALYZE` gathers. Autovacuum
gathers them only after a minute or more, so right after an import or `db copy` wrote
100,000 developments into tables it still believed empty, every plan was made for empty
tables: at 200 commands a second the first responses took from 1 s to 80 s (p99) until
autovacuum caught up, against ~0.1 s once analysed. `ANALYZE` samples at most ~30,000 rows
a table, so it costs about the same whatever the table's size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from storage.postgres.database import PostgresDatabase

log = logging.getLogger(__name__)

#: What an import writes in bulk (the assessments and datasets are a handful of rows).
IMPORTED_TABLES = (
    "developments",
    "sources",
    "development_topics",
    "revisions",
    "development_search",
    "imports",
)


async def analyze(db: PostgresDatabase, tables: Sequence[str] | None = None) -> None:
    """Gather the planner's statistics of `tables` (every table when None), outside any
    transaction: `ANALYZE` blocks neither reads nor writes."""
    started = time.perf_counter()
    names = ", ".join(f'"{t}"' for t in tables) if tables else ""
    await db.scalar(f"ANALYZE {names}".strip())
    log.info(
        "planner statistics gathered tables=%s seconds=%.2f",
        ",".join(tables) if tables else "all",
        time.perf_counter() - started,
    )
