"""Feeds at scale: the classifier's figures on the labelled headlines, polling N feeds of
M items from a loopback server (seconds, CPU seconds per new item; then the 304 round),
and deduplicating against the catalogue (index build, lookups per second).

The feed server runs in its own process so the CPU figures are the bot's alone. All feeds
share one host (127.0.0.1), so per-host politeness is switched off for the measurement
(in production one host gets one request at a time, a second apart).

`python -m bench.feeds` runs it alone on a generated 100,000-development catalogue.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.catalogue import Catalogue
from bot.core.feeds.dedupe import Entry, Signature, StoryIndex
from bot.core.feeds.fetch import Fetcher, FetchPolicy
from bot.core.feeds.measure import (
    load_items,
    load_labelled,
    load_pairs,
    score,
    score_items,
    score_pairs,
)
from bot.core.feeds.service import FeedService
from bot.domain.clock import iso_utc
from bot.domain.feeds import Feed
from storage import feeds as feed_queries
from storage.sqlite.database import Database

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "headlines.tsv"
HOLDOUT = LABELLED.with_name("headlines_holdout.tsv")
ITEMS = LABELLED.with_name("items_holdout.tsv")  # real feed items, title and summary
PAIRS = LABELLED.with_name("dedupe_pairs.tsv")  # real headline pairs, same story or not
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_LEADS = (
    "Japan, South Korea",
    "S. Korea, U.S.",
    "North Korea",
    "Tokyo and Washington",
    "Seoul",
    "China, Japan",
    "Russia, North Korea",
    "U.S., Japan, S. Korea",
)
_VERBS = ("agree on", "discuss", "hold talks on", "sign pact on", "launch", "review", "expand")


def classifier_figures() -> dict[str, Any]:
    """Precision, recall and domain accuracy on the labelled headlines (the set the lexicon
    was tuned on) and on the held-out set; whether held-out real items would be queued;
    whether labelled real pairs of headlines would be merged."""
    s = score(load_labelled(LABELLED))
    h = score(load_labelled(HOLDOUT))
    items = score_items(load_items(ITEMS))
    pairs = score_pairs(load_pairs(PAIRS))
    return {
        "holdout_items": items.cases,
        "holdout_item_precision": round(items.precision, 4),
        "holdout_item_recall": round(items.recall, 4),
        "dedupe_pairs": pairs.cases,
        "dedupe_precision": round(pairs.precision, 4),
        "dedupe_recall": round(pairs.recall, 4),
        "headlines": s.headlines,
        "country_precision": round(s.precision, 4),
        "country_recall": round(s.recall, 4),
        "domain_accuracy": round(s.domain_accuracy, 4),
        "holdout_headlines": h.headlines,
        "holdout_country_precision": round(h.precision, 4),
        "holdout_country_recall": round(h.recall, 4),
        "holdout_domain_accuracy": round(h.domain_accuracy, 4),
    }


def _vocabulary(rng: random.Random, n: int = 6000) -> list[str]:
    letters = "abcdefghiklmnoprstuvwyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(5, 9))) for _ in range(n)]


def feed_documents(feeds: int, items: int, seed: int) -> list[bytes]:
    """RSS documents; about one item in ten retells a story of another feed."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    stories = [
        f"{rng.choice(_LEADS)} {rng.choice(_VERBS)} {' '.join(rng.sample(words, 4))}"
        for _ in range(feeds * items)
    ]
    docs = []
    for f in range(feeds):
        parts = []
        for i in range(items):
            n = f * items + i
            title = stories[rng.randrange(len(stories))] if rng.random() < 0.1 else stories[n]
            day = (NOW - timedelta(hours=rng.randint(0, 72))).strftime(
                "%a, %d %b %Y %H:%M:%S +0000"
            )
            parts.append(
                f"<item><title>{title}</title><link>https://news{f % 40}.example/{f}/{i}</link>"
                f"<guid>feed{f}-item{i}</guid><pubDate>{day}</pubDate>"
                f"<description>&lt;p&gt;{title}, officials said on Tuesday.&lt;/p&gt;</description>"
                "</item>"
            )
        docs.append(
            (
                f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Wire {f}</title>{''.join(parts)}</channel></rss>"
            ).encode()
        )
    return docs


def _serve(docs: list[bytes], port_out: Any) -> None:
    import hashlib

    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        body = docs[int(request.match_info["n"])]
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}", handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_out.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


async def _poll_figures(database: Path, port: int, feeds: int, items: int) -> dict[str, Any]:
    db = await Database.open(database)
    fetcher = Fetcher(FetchPolicy(allow_private=True, host_interval_s=0, host_concurrency=64))
    clock = [NOW]
    service = FeedService(db, Catalogue(db, lambda: clock[0]), fetcher, lambda: clock[0])
    try:
        async with db.transaction() as w:
            await w.execute("DELETE FROM feeds")
            for n in range(feeds):
                feed = Feed(
                    id=0,
                    scope=None,
                    url=f"http://127.0.0.1:{port}/feed/{n}",
                    title=f"Wire {n}",
                    next_poll_at=iso_utc(NOW),
                    added_by="bench",
                )
                await feed_queries.insert_feed(w, feed, iso_utc(NOW))
        developments = int(await db.scalar("SELECT COUNT(*) FROM developments"))
        t0, c0 = time.perf_counter(), time.process_time()
        await service.load_index()
        index_s, index_cpu = time.perf_counter() - t0, time.process_time() - c0
        indexed = len(service.index)  # developments dated within the window
        t0, c0 = time.perf_counter(), time.process_time()
        reports = await service.poll_due()
        first_s, first_cpu = time.perf_counter() - t0, time.process_time() - c0
        new = sum(len(r.new) for r in reports)
        merged = sum(r.merged for r in reports)
        failed = sum(r.outcome != "ok" for r in reports)
        clock[0] = NOW + timedelta(minutes=15)
        t0 = time.perf_counter()
        again = await service.poll_due()
        second_s = time.perf_counter() - t0
        recent = await db.fetchall(
            "SELECT title, occurred_on FROM developments WHERE occurred_on >= ? LIMIT 2000",
            ((NOW - timedelta(days=60)).date().isoformat(),),
        )
        t0 = time.perf_counter()
        matched = 0
        for row in recent:
            day = datetime.fromisoformat(row["occurred_on"]).date()
            matched += service.index.match(row["title"], day, lambda e: True) is not None
        lookup_s = time.perf_counter() - t0
        dense = await _dense_index(db)
    finally:
        await fetcher.close()
        await db.close()
    return {
        "feed_poll": {
            "feeds": feeds,
            "items_per_feed": items,
            "seconds": round(first_s, 2),
            "cpu_seconds": round(first_cpu, 2),
            "new_candidates": new,
            "merged_sources": merged,
            "failed_feeds": failed,
            "cpu_ms_per_new_item": round(1000 * first_cpu / max(new, 1), 3),
            "unchanged_round_seconds": round(second_s, 2),
            "unchanged_round_304s": sum(r.outcome == "unchanged" for r in again),
        },
        "feed_dedupe": {
            "developments": developments,
            "index_load_seconds": round(index_s, 2),
            "index_load_cpu_seconds": round(index_cpu, 2),
            "indexed_entries": indexed,
            "lookups": len(recent),
            "lookups_matched": matched,
            "lookup_ms": round(1000 * lookup_s / max(len(recent), 1), 3),
        }
        | dense,
    }


async def _dense_index(db: Database) -> dict[str, Any]:
    """The worst case: every development of the catalogue dated within the window."""
    rows = await db.fetchall("SELECT id, title, countries FROM developments")
    rng = random.Random(7)
    t0 = time.perf_counter()
    index = StoryIndex()
    for row in rows:
        day = (NOW - timedelta(days=rng.randint(0, 60))).date()
        sig = Signature.of(row["title"], row["countries"].split())
        index.add(Entry("development", row["id"], None, day, sig))
    build_s = time.perf_counter() - t0
    probes = [rows[rng.randrange(len(rows))]["title"] for _ in range(500)]
    t0 = time.perf_counter()
    for title in probes:
        index.match(title, (NOW - timedelta(days=30)).date(), lambda e: True)
    return {
        "dense_entries": len(rows),
        "dense_build_seconds": round(build_s, 2),
        "dense_lookup_ms": round(1000 * (time.perf_counter() - t0) / len(probes), 3),
    }


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _index_memory(database: Path, out: Any) -> None:
    async def build() -> float:
        db = await Database.open(database)
        try:
            service = FeedService(db, Catalogue(db), Fetcher())
            before = _rss_mb()
            await service.load_index()
            return _rss_mb() - before
        finally:
            await db.close()

    out.put(round(asyncio.run(build()), 1))


def index_memory_mb(database: Path) -> float | None:
    """How much the deduplicating index adds to a fresh process's RSS (Linux only)."""
    if not Path("/proc/self/statm").exists():
        return None
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_index_memory, args=(database, out))
    child.start()
    try:
        return float(out.get(timeout=600))
    finally:
        child.join(10)


def feed_figures(database: Path, feeds: int, items: int, seed: int) -> dict[str, Any]:
    """Every feeds figure; the loopback server runs in a child process meanwhile."""
    index_rss = index_memory_mb(database)  # before the poll adds its candidates
    ctx = multiprocessing.get_context("spawn")
    port_out = ctx.Queue()
    server = ctx.Process(target=_serve, args=(feed_documents(feeds, items, seed), port_out))
    server.start()
    try:
        port = int(port_out.get(timeout=60))
        figures = asyncio.run(_poll_figures(database, port, feeds, items))
    finally:
        server.terminate()
        server.join(10)
    figures["feed_dedupe"]["index_rss_mb"] = index_rss
    return {"classifier": classifier_figures()} | figures


def lines(f: dict[str, Any]) -> list[str]:
    """The report lines of these figures."""
    c, p, d = f["classifier"], f["feed_poll"], f["feed_dedupe"]
    return [
        f"classifier          {c['headlines']} headlines: country precision "
        f"{c['country_precision']}, recall {c['country_recall']}, domain accuracy "
        f"{c['domain_accuracy']}; held out ({c['holdout_headlines']}): "
        f"{c['holdout_country_precision']}, {c['holdout_country_recall']}, "
        f"{c['holdout_domain_accuracy']}",
        f"classifier, items   {c['holdout_items']} held-out real items (title and summary): "
        f"queued with precision {c['holdout_item_precision']}, recall "
        f"{c['holdout_item_recall']}",
        f"dedupe, real pairs  {c['dedupe_pairs']} labelled pairs of headlines: merge precision "
        f"{c['dedupe_precision']}, recall {c['dedupe_recall']}",
        f"feed polling        {p['feeds']} feeds × {p['items_per_feed']} items in {p['seconds']} s "
        f"(CPU {p['cpu_seconds']} s = {p['cpu_ms_per_new_item']} ms per new item; "
        f"{p['new_candidates']:,} new, {p['merged_sources']} merged, {p['failed_feeds']} failed); "
        f"unchanged round {p['unchanged_round_seconds']} s ({p['unchanged_round_304s']} × 304)",
        f"feed dedupe         {d['developments']:,} developments: {d['indexed_entries']:,} "
        f"dated within the window indexed in {d['index_load_seconds']} s "
        f"(+{d['index_rss_mb']} MB RSS); lookup {d['lookup_ms']} ms "
        f"({d['lookups_matched']}/{d['lookups']} recent titles found)",
        f"feed dedupe, dense  all {d['dense_entries']:,} within the window: built in "
        f"{d['dense_build_seconds']} s, lookup {d['dense_lookup_ms']} ms",
    ]


def main() -> None:
    """Run alone on a generated catalogue."""
    from bench.generate import generate
    from bench.measure import import_catalogue

    p = argparse.ArgumentParser(prog="python -m bench.feeds")
    p.add_argument("--developments", type=int, default=100_000)
    p.add_argument("--feeds", type=int, default=500)
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--seed", type=int, default=20261125)
    p.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "work")
    args = p.parse_args()
    database = args.workdir / "feeds.sqlite3"
    args.workdir.mkdir(parents=True, exist_ok=True)
    cat = generate(args.developments, max(args.developments // 100, 1), seed=args.seed)
    asyncio.run(import_catalogue(database, cat))
    print("\n".join(lines(feed_figures(database, args.feeds, args.items, args.seed))))


if __name__ == "__main__":
    main()
