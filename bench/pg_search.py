"""Search figures on PostgreSQL: `python -m bench.pg_search [developments] [cjk_share] [reps]`.

Starts a throwaway cluster (harness.postgres), writes the generated catalogue into it with
its search index (`storage.postgres.search.search_put`'s texts, in bulk), a share of the
summaries in Japanese or Korean as bench.cjk_search does, then times
`storage.postgres.search.search` for the bench's kinds of query (common words, rare words,
two words) and the CJK ones. Prints JSON.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

from bench.cjk_search import CJK_QUERIES, _cjk_summary
from bench.generate import generate
from bench.measure import Timing, search_queries
from bot.core.validation import validate_development
from bot.domain.scope import Scope
from bot.domain.topics import topics_for
from harness.postgres import ThrowawayCluster
from storage.catalogue import draft_columns
from storage.postgres import search as pg
from storage.postgres.database import PostgresDatabase

AT = "2026-01-01T00:00:00Z"
CHUNK = 5_000


async def _load(db: PostgresDatabase, devs: list[dict[str, Any]]) -> None:
    for start in range(0, len(devs), CHUNK):
        dev_rows, source_rows, topic_rows, search_rows = [], [], [], []
        for dev_id, raw in enumerate(devs[start : start + CHUNK], start=start + 1):
            draft = validate_development(raw)
            scoped = raw["scope"] != "global"
            cols = draft_columns(draft) | {
                "id": dev_id,
                "guild_id": int(raw["scope"]) if scoped else None,
                "platform": "discord" if scoped else None,
                "created_by": "bench",
                "created_at": AT,
                "updated_by": "bench",
                "updated_at": AT,
            }
            dev_rows.append(tuple(cols.values()))
            source_rows += [
                (dev_id, pos, s.title, s.publisher, s.url, s.published_on, s.accessed_on)
                for pos, s in enumerate(draft.sources, start=1)
            ]
            topic_rows += [
                (t, draft.occurred.start.isoformat(), dev_id)
                for t in topics_for(draft.countries, draft.domain)
            ]
            columns = pg.search_columns(draft)
            search_rows.append((dev_id, pg.document(columns), pg.bigrams(columns)))
        names = ", ".join(cols)
        async with db.transaction() as w:
            await w.executemany(
                f"INSERT INTO developments ({names}) VALUES ({', '.join('?' * len(cols))})",
                dev_rows,
            )
            await w.executemany(
                "INSERT INTO sources (development_id, position, title, publisher, url, "
                "published_on, accessed_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
                source_rows,
            )
            await w.executemany(
                "INSERT INTO development_topics (topic, occurred_on, development_id) "
                "VALUES (?, ?, ?)",
                topic_rows,
            )
            await w.executemany(
                "INSERT INTO development_search (development_id, document, bigrams) "
                "VALUES (?, CAST(? AS tsvector), CAST(? AS text[]))",
                search_rows,
            )
    await db.scalar("ANALYZE")


async def main(developments: int, share: float, reps: int) -> dict[str, Any]:
    """Load, then time each kind of query (p99 over `reps` searches)."""
    cat = generate(developments)
    rng = random.Random(9)
    for dev in cat.document["developments"]:
        if rng.random() < share:
            dev["summary"] = _cjk_summary(rng)
    cluster = ThrowawayCluster().start()
    try:
        db = await PostgresDatabase.open(cluster.create_database("bench"))
        try:
            started = time.perf_counter()
            await _load(db, cat.document["developments"])
            result: dict[str, Any] = {
                "developments": developments,
                "cjk_share": share,
                "load_s": round(time.perf_counter() - started, 1),
            }
            pick = random.Random(1)
            for kind, texts in (search_queries(cat) | CJK_QUERIES).items():
                timing, found = Timing(), 0
                await pg.search(db, texts[0], None)  # warm
                for i in range(reps):
                    guild = pick.choice(cat.guild_ids) if pick.random() < 0.9 else None
                    scope = None if guild is None else Scope.discord(guild)
                    began = time.perf_counter()
                    hits = await pg.search(db, texts[i % len(texts)], scope)
                    timing.add(time.perf_counter() - began)
                    found += len(hits)
                result[f"search_{kind}"] = timing.summary() | {"hits_mean": found / reps}
        finally:
            await db.close()
    finally:
        cluster.stop()
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    cjk = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
    repetitions = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    print(json.dumps(asyncio.run(main(n, cjk, repetitions)), indent=1))
