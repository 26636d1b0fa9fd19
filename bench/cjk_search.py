"""CJK search figures: `python -m bench.cjk_search [developments] [cjk_share]`.

Imports the generated catalogue with a share of its summaries in Japanese or Korean, then
times English queries (word index, as before) and CJK queries (2-character words by
`instr` over the CJK rows, 3+ characters through the trigram index). Prints JSON.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import generate
from bench.measure import Timing, fixed_clock, search_queries
from bot.core import lookup, transfer
from storage.sqlite.database import Database

JA_WORDS = [
    "日韓",
    "首脳",
    "会談",
    "東京",
    "大阪",
    "外相",
    "防衛",
    "協力",
    "輸出",
    "規制",
    "半導体",
    "安保",
    "同盟",
    "合意",
    "訪問",
]
KO_WORDS = [
    "한일",
    "정상",
    "회담",
    "서울",
    "부산",
    "외교",
    "국방",
    "협력",
    "수출",
    "규제",
    "반도체",
    "안보",
    "동맹",
    "합의",
    "방문",
]
CJK_QUERIES = {
    "cjk_two_chars": ["東京", "회담", "外相", "서울", "防衛"],
    "cjk_two_chars_rare": ["京大", "담서"],
    "cjk_three_plus": ["半導体", "반도체", "首脳会談", "정상회담", "東京大阪"],
}


def _cjk_summary(rng: random.Random) -> str:
    words = JA_WORDS if rng.random() < 0.5 else KO_WORDS
    # Unspaced runs, as the languages are written.
    return "".join(rng.choices(words, k=rng.randint(20, 40))) + "。"


async def _time(db: Database, texts: list[str], reps: int) -> tuple[dict[str, Any], float]:
    timing, found = Timing(), 0
    await lookup.search(db, texts[0], None)
    for i in range(reps):
        started = time.perf_counter()
        result = await lookup.search(db, texts[i % len(texts)], None)
        timing.add(time.perf_counter() - started)
        found += len(result.hits)
    return timing.summary(), found / reps


async def main(developments: int, share: float, reps: int = 200) -> dict[str, Any]:
    """Import, then time each kind of query."""
    cat = generate(developments, servers=0)
    rng = random.Random(9)
    cjk_rows = 0
    for dev in cat.document["developments"]:
        if rng.random() < share:
            dev["summary"] = _cjk_summary(rng)
            cjk_rows += 1
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "cjk.sqlite3")
        try:
            started = time.perf_counter()
            await transfer.import_data(db, cat.document, clock=fixed_clock(cat.anchor))
            result: dict[str, Any] = {
                "developments": developments,
                "cjk_rows": cjk_rows,
                "import_s": round(time.perf_counter() - started, 2),
            }
            queries = search_queries(cat) | CJK_QUERIES
            for kind, texts in queries.items():
                summary, hits = await _time(db, texts, reps)
                result[f"search_{kind}"] = summary | {"hits_mean": round(hits, 1)}
        finally:
            await db.close()
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    share = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
    print(json.dumps(asyncio.run(main(n, share)), indent=1))
