"""First responses under load: 200 mixed commands a second from 50 members while one
member floods crafted searches and charts, and again while a 100,000-development import
runs beside the bot (target: p99 ≤ 250 ms).

    python -m bench.load [--developments 20000] [--seconds 10]

A process of its own plays the bot (`measure_load_process`; not the bench's, whose heap
holds the generated catalogue): the shared `Services` on the bench database, and for every
command what a front end does before its first send — the rate limits
(`bot.core.cooldowns`), the lookup and the rendered answer (or the "wait N s" refusal).
Commands arrive on an open-loop schedule (one every 5 ms, whatever the answers take), so
a stall shows as the queue behind it; a command's time is from its scheduled arrival to
its first answer. The mix per member: /brief 55%, /search 12% (about one every two
seconds each: the rate a member's allowance keeps up with), /timeline 8%, /timeline with
a chart 2% (the text answers first; the chart is drawn in a drawing process, as the
Discord front end does), /development 23%. The flooding member sends 20 a second,
alternating a search of twelve one-letter prefixes (`a b c … l`) and a timeline with a
chart. The import is a separate process (as an operator's `briefbot import` is, at the
lower CPU priority it takes) writing a freshly generated catalogue into the same database;
the second phase lasts as long as it writes. The bot's database has its read-only
connections beside the writer, as the running bot opens it.

Figures: `load_flood` and `load_import` (the members' first responses, and what the
flooder got), and `load.p99_ms`, the worse of the two p99s, which the runner checks.

    python -m bench.load --processes 2 [--database-url postgresql://…] [--developments N]

On PostgreSQL (issue 22): `processes` bot processes on one database, each playing the bot
for its share of the servers as shard processes do (their members at their share of the
200 a second; the flooder in the first), all starting at once; `load_shards` is the
combined first responses of every process. Without a URL a throwaway cluster
(harness.postgres) is started and loaded with the generated catalogue. For a runner:
`measure_load_postgres(developments, LoadPlan(), processes=2)`, or `measure_load_shards(url,
plan, processes)` on a database it has loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bench.measure import Timing
from bot import i18n
from bot.config import Settings
from bot.core import lookup
from bot.core.briefs import PERIODS, compose_brief
from bot.core.rendering import Renderer
from bot.domain.errors import DomainError
from bot.domain.scope import Scope
from bot.domain.topics import all_topics
from bot.services import BOT_READERS, Services, open_services

if TYPE_CHECKING:  # bench.runner imports this module
    from bench.runner import PgContext

TARGET_P99_MS = 250.0
CRAFTED_SEARCH = "a b c d e f g h i j k l"  # twelve one-letter prefixes: the costliest query
TIMELINE_PAGE = 12  # a Telegram timeline page
MIX = (("brief", 55), ("search", 12), ("timeline", 8), ("chart", 2), ("development", 23))


@dataclass(frozen=True)
class LoadPlan:
    """How much load, for how long."""

    rate: float = 200.0  # member commands per second
    members: int = 50
    servers: int = 10
    seconds: float = 10.0  # each phase (the import phase lasts at least this long)
    flood_rate: float = 20.0  # the flooding member's commands per second
    import_developments: int = 100_000
    import_servers: int = 1_000
    seed: int = 20261207


@dataclass(frozen=True)
class Shard:
    """One of `count` bot processes, each answering for its share of the servers (as shard
    processes do), all starting their arrivals at `start_at` (wall clock, seconds)."""

    index: int
    count: int
    start_at: float


@dataclass
class Phase:
    """What one phase measured."""

    members: Timing
    flood: Timing
    outcomes: Counter[str]
    seconds: float
    kinds: dict[str, Timing] = field(default_factory=dict)

    def merge(self, other: Phase) -> None:
        """Add another stretch of the same phase."""
        self.members.samples_ms += other.members.samples_ms
        self.flood.samples_ms += other.flood.samples_ms
        self.outcomes += other.outcomes
        self.seconds += other.seconds
        for name, timing in other.kinds.items():
            self.kinds.setdefault(name, Timing()).samples_ms += timing.samples_ms

    def summary(self, plan: LoadPlan) -> dict[str, Any]:
        sent = len(self.members.samples_ms)
        return {
            **self.members.summary(),
            "commands_per_s": round(sent / self.seconds, 1) if self.seconds else 0.0,
            "members": plan.members,
            "flood": {**self.flood.summary(), "per_s": plan.flood_rate},
            "outcomes": dict(sorted(self.outcomes.items())),
            # Each kind's own first responses: which command the queue waits behind.
            "p99_ms_by_command": {
                name: round(t.summary()["p99_ms"], 1) for name, t in sorted(self.kinds.items())
            },
        }


class Bot:
    """The work a front end does for each command, up to its first answer."""

    def __init__(self, svc: Services, words: Sequence[str], developments: int) -> None:
        self.svc = svc
        self.renderer = Renderer("telegram")
        self.words = list(words)
        self.developments = max(1, developments)
        self.topics = [t.slug for t in all_topics()]
        self.charts: set[asyncio.Task[bytes]] = set()

    async def brief(self, rng: random.Random, person: str, scope: Scope) -> str:
        topic, period = rng.choice(self.topics), rng.choice(list(PERIODS))
        brief = await compose_brief(self.svc.db, topic, scope, period=period, clock=self.svc.clock)
        return self.renderer.render("brief.j2", brief=brief)

    async def search(self, rng: random.Random, person: str, scope: Scope, text: str = "") -> str:
        self.svc.limits.take("search", person, scope.key())
        words = text or " ".join(rng.sample(self.words, rng.choice((1, 1, 2))))
        results = await lookup.search(self.svc.db, words, scope)
        return self.renderer.render("search.j2", results=results)

    async def timeline(self, rng: random.Random, person: str, scope: Scope) -> str:
        # As Telegram does: the first page (the page read, the range counted up to a cap).
        shown = await lookup.timeline_page(
            self.svc.db, rng.choice(self.topics), scope, size=TIMELINE_PAGE
        )
        return self.renderer.render(
            "timeline.j2",
            timeline=shown.timeline,
            items=shown.timeline.developments,
            page=shown.number,
            pages=shown.pages,
        )

    async def chart(self, rng: random.Random, person: str, scope: Scope) -> str:
        from bot.core.chart import draw_timeline

        self.svc.limits.take("chart", person, scope.key())
        # As Discord does: the list (up to TIMELINE_MAX) that both the text and chart show.
        result = await lookup.timeline(self.svc.db, rng.choice(self.topics), scope)
        text = self.renderer.render(
            "timeline.j2", timeline=result, items=result.developments[:TIMELINE_PAGE], page=0,
            pages=1,
        )  # fmt: skip
        task = asyncio.create_task(draw_timeline(result))  # after the text, as on Discord
        self.charts.add(task)
        task.add_done_callback(self._chart_done)
        return text

    def _chart_done(self, task: asyncio.Task[bytes]) -> None:
        self.charts.discard(task)
        if not task.cancelled() and task.exception() is not None:
            task.exception()  # a "too many charts" refusal, answered privately: retrieved

    async def development(self, rng: random.Random, person: str, scope: Scope) -> str:
        dev = await self.svc.catalogue.show(rng.randint(1, self.developments), scope)
        return self.renderer.render("development.j2", d=dev)


async def _phase(
    bot: Bot,
    plan: LoadPlan,
    seconds: float,
    rng: random.Random,
    *,
    shard: Shard | None = None,
) -> Phase:
    """Drive `seconds` of load; every command's time to its first answer. A `shard` plays
    the bot for its share of the servers (their members, at their share of the rate; the
    flooder's server is the first shard's), starting at the shard's common start."""
    loop = asyncio.get_running_loop()
    guilds = await _guilds(bot, plan.servers)
    members = [
        (f"dc:{7000 + i}", Scope.discord(guilds[i % len(guilds)])) for i in range(plan.members)
    ]
    flooder = ("dc:6666", members[0][1])
    rate, flood_rate = plan.rate, plan.flood_rate
    start = loop.time() + 0.05
    if shard is not None:
        mine = {g for n, g in enumerate(guilds) if n % shard.count == shard.index}
        members = [m for m in members if m[1].id in mine]
        rate = plan.rate * len(members) / plan.members
        flood_rate = plan.flood_rate if shard.index == 0 else 0.0
        start = loop.time() + max(0.05, shard.start_at - time.time())
    names = [name for name, _weight in MIX]
    weights = [weight for _name, weight in MIX]
    phase = Phase(Timing(), Timing(), Counter(), seconds)
    arrivals = [(start + i / rate, False, i) for i in range(int(seconds * rate))]
    arrivals += [(start + i / flood_rate, True, i) for i in range(int(seconds * flood_rate))]
    arrivals.sort()
    running: set[asyncio.Task[None]] = set()

    async def one(at: float, name: str, work: Callable[[], Awaitable[str]], flood: bool) -> None:
        try:
            await work()
            phase.outcomes[f"{'flood ' if flood else ''}{name}"] += 1
        except DomainError as error:  # a refusal ("wait N s"): an answer too
            i18n.error_message(error)
            phase.outcomes[f"{'flood ' if flood else ''}{name} refused"] += 1
        took = loop.time() - at
        (phase.flood if flood else phase.members).add(took)
        if not flood:
            phase.kinds.setdefault(name, Timing()).add(took)

    for at, flood, i in arrivals:
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if flood:
            person, scope = flooder
            name = "search" if i % 2 == 0 else "chart"
            if name == "search":
                work = _bind(bot.search, rng, person, scope, CRAFTED_SEARCH)
            else:
                work = _bind(bot.chart, rng, person, scope)
        else:
            person, scope = rng.choice(members)
            name = rng.choices(names, weights)[0]
            work = _bind(getattr(bot, name), rng, person, scope)
        task = asyncio.create_task(one(at, name, work, flood))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running)
    phase.seconds = loop.time() - start
    await asyncio.gather(*bot.charts, return_exceptions=True)
    return phase


def _bind(fn: Callable[..., Awaitable[str]], *args: Any) -> Callable[[], Awaitable[str]]:
    return lambda: fn(*args)


async def _guilds(bot: Bot, count: int) -> list[int]:
    """Servers that own developments (their members read their own and the global ones)."""
    rows = await bot.svc.db.fetchall(
        "SELECT DISTINCT guild_id FROM developments WHERE platform = 'discord' "
        "ORDER BY guild_id LIMIT ?",
        (count,),
    )
    return [int(r[0]) for r in rows] or [1]


async def _words(svc: Services, count: int = 400) -> list[str]:
    """Words members search for: from titles in the catalogue (common and rare alike)."""
    rows = await svc.db.fetchall(
        "SELECT title FROM developments ORDER BY id DESC LIMIT ?", (count,)
    )
    words = {w.lower() for r in rows for w in str(r[0]).split() if w.isalpha() and len(w) > 3}
    return sorted(words) or ["korea"]


async def measure_load(database: Path, plan: LoadPlan) -> dict[str, Any]:
    """Both phases on `database` (which the import phase grows by a whole catalogue)."""
    rng = random.Random(plan.seed)
    # As the running bot opens it: with read-only connections beside the writer.
    svc = await open_services(Settings(database_path=database), starter=False, readers=BOT_READERS)
    try:
        developments = int(await svc.db.scalar("SELECT MAX(id) FROM developments") or 1)
        bot = Bot(svc, await _words(svc), developments)
        await _warm(bot, rng)
        flood = await _phase(bot, plan, plan.seconds, rng)
        importer = await _start_import(database, plan)
        try:
            started = time.perf_counter()
            during = await _phase(bot, plan, plan.seconds, rng)
            while importer.returncode is None:  # keep the load on for the whole import
                during.merge(await _phase(bot, plan, min(plan.seconds, 5.0), rng))
            out, err = await importer.communicate()
            import_seconds = time.perf_counter() - started
        finally:
            if importer.returncode is None:
                importer.kill()
                await importer.wait()
        if importer.returncode != 0:
            raise RuntimeError(f"the import beside the load failed: {err.decode()[-500:]}")
        imported = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        await svc.close()
        from bot.core.chart import stop_renderers

        stop_renderers()
    figures = {
        "load_flood": flood.summary(plan),
        "load_import": {
            **during.summary(plan),
            "import_developments": imported["developments"],
            "import_seconds": round(import_seconds, 1),
        },
    }
    figures["load"] = {
        "p99_ms": max(figures["load_flood"]["p99_ms"], figures["load_import"]["p99_ms"]),
        "target_ms": TARGET_P99_MS,
    }
    return figures


async def measure_load_process(database: Path, plan: LoadPlan) -> dict[str, Any]:
    """`measure_load` in a process of its own, as the bot runs: the caller's heap (the bench
    keeps its generated catalogue, ~400,000 objects) would otherwise be the bot's, and each
    full garbage collection of it stopped every answer for 130-180 ms."""
    argv = [
        "-m", "bench.load", "--play", str(database), "--seconds", str(plan.seconds),
        "--developments", str(plan.import_developments), "--servers", str(plan.import_servers),
        "--seed", str(plan.seed),
    ]  # fmt: skip
    child = await asyncio.create_subprocess_exec(
        sys.executable, *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the load process failed: {err.decode()[-500:]}")
    return cast(dict[str, Any], json.loads(out.decode().strip().splitlines()[-1]))


async def _play_shard(url: str, plan: LoadPlan, shard: Shard) -> dict[str, Any]:
    """The child: play the bot for one shard on the database at `url` for one phase; the
    raw first responses, for the parent to combine."""
    from storage.sqlite.database import Database

    rng = random.Random(plan.seed + shard.index)
    db = await Database.open(url)
    svc = Services(Settings(), cast(Any, db))
    try:
        developments = int(await svc.db.scalar("SELECT MAX(id) FROM developments") or 1)
        bot = Bot(svc, await _words(svc), developments)
        await _warm(bot, rng)
        await _guilds(bot, plan.servers)  # its first read too
        # The parent names the common start once every process is ready.
        print("ready", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        shard = Shard(shard.index, shard.count, float(line))
        phase = await _phase(bot, plan, plan.seconds, rng, shard=shard)
    finally:
        await svc.close()
        from bot.core.chart import stop_renderers

        stop_renderers()
    return {
        "members": phase.members.samples_ms,
        "flood": phase.flood.samples_ms,
        "outcomes": dict(phase.outcomes),
        "seconds": phase.seconds,
        "kinds": {name: t.samples_ms for name, t in phase.kinds.items()},
    }


async def measure_load_shards(url: str, plan: LoadPlan, processes: int = 2) -> dict[str, Any]:
    """The members' first responses with `processes` bot processes on one database (a
    PostgreSQL URL), each answering for its share of the servers as shard processes do,
    all at once: `load_shards` with the combined p99 over every process's commands."""
    children = []
    for index in range(processes):
        argv = [
            "-m", "bench.load", "--database-url", url, "--shard", f"{index}/{processes}",
            "--seconds", str(plan.seconds), "--seed", str(plan.seed),
        ]  # fmt: skip
        children.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    # Every process connects and warms up, then all start their arrivals at one instant.
    for child in children:
        assert child.stdout is not None and child.stderr is not None
        while (line := await child.stdout.readline()) and line.strip() != b"ready":
            pass
        if not line:  # it ended before it was ready
            for other in children:
                if other.returncode is None:
                    other.kill()
            err = await child.stderr.read()
            raise RuntimeError(f"a shard process failed: {err.decode()[-500:]}")
    start_at = time.time() + 0.2
    for child in children:
        assert child.stdin is not None
        child.stdin.write(f"{start_at!r}\n".encode())
        await child.stdin.drain()
    results = await asyncio.gather(*(child.communicate() for child in children))
    combined = Phase(Timing(), Timing(), Counter(), 0.0)
    for child, (out, err) in zip(children, results, strict=True):
        if child.returncode != 0:
            raise RuntimeError(f"a shard process failed: {err.decode()[-500:]}")
        played = json.loads(out.decode().strip().splitlines()[-1])
        part = Phase(
            Timing(played["members"]),
            Timing(played["flood"]),
            Counter(played["outcomes"]),
            0.0,
            {name: Timing(samples) for name, samples in played["kinds"].items()},
        )
        combined.merge(part)
        combined.seconds = max(combined.seconds, played["seconds"])
    summary = combined.summary(plan)
    return {"load_shards": {**summary, "processes": processes, "target_ms": TARGET_P99_MS}}


async def measure_load_postgres(
    developments: int, plan: LoadPlan, processes: int = 2, servers: int = 1_000
) -> dict[str, Any]:
    """`measure_load_shards` on a throwaway PostgreSQL cluster (harness.postgres) loaded
    with `developments` generated developments (as bench.pg_search loads them)."""
    from bench.generate import generate
    from bench.pg_search import _load
    from harness.postgres import ThrowawayCluster
    from storage.postgres.database import PostgresDatabase

    cat = generate(developments, servers, seed=plan.seed + 1)
    cluster = ThrowawayCluster().start()
    try:
        url = cluster.create_database("load")
        db = await PostgresDatabase.open(url)
        try:
            await _load(db, cat.document["developments"])
        finally:
            await db.close()
        figures = await measure_load_shards(url, plan, processes)
    finally:
        cluster.stop()
    figures["load_shards"]["developments"] = developments
    return figures


def pg_load_figures(ctx: PgContext) -> dict[str, Any]:
    """The full bench's PostgreSQL slot: the bench catalogue imported into a new database of
    the bench's cluster, then two shard processes on it (`measure_load_shards`); the
    combined first responses, `p99_ms` among them."""
    from bench.pg_import import pg_import_catalogue

    url = ctx.cluster.create_database("bench_load")
    asyncio.run(pg_import_catalogue(url, ctx.catalogue))
    plan = LoadPlan(seconds=ctx.config.load_seconds, seed=ctx.config.seed)
    return cast(dict[str, Any], asyncio.run(measure_load_shards(url, plan))["load_shards"])


async def _warm(bot: Bot, rng: random.Random) -> None:
    """Compile the templates and fill the caches once, outside the figures."""
    scope = Scope.discord((await _guilds(bot, 1))[0])
    await bot.brief(rng, "dc:1", scope)
    await bot.timeline(rng, "dc:1", scope)
    with contextlib.suppress(DomainError):  # a random id may be another server's
        await bot.development(rng, "dc:1", scope)
    await lookup.search(bot.svc.db, "korea", scope)


async def _start_import(database: Path, plan: LoadPlan) -> asyncio.subprocess.Process:
    """The import process, once it has generated its catalogue and begins to write."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", "--import-into", str(database),
        "--developments", str(plan.import_developments),
        "--servers", str(plan.import_servers), "--seed", str(plan.seed),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if line.strip() != b"importing":
        await proc.wait()
        raise RuntimeError(f"the import process did not start: {line!r}")
    return proc


async def _import_into(database: Path, developments: int, servers: int, seed: int) -> None:
    """The child: generate a catalogue (no ids: it is added to what is there) and import."""
    from bench.generate import generate
    from bot.core.maintenance import yield_cpu_to_the_bot
    from bot.core.transfer import import_data
    from storage.sqlite.database import Database

    cat = generate(developments, servers, seed=seed)
    for item in cat.document["developments"]:
        item.pop("id", None)
    cat.document.pop("assessments", None)
    yield_cpu_to_the_bot()  # as `briefbot import` does
    db = await Database.open(database)
    try:
        print("importing", flush=True)
        await import_data(db, cat.document)
    finally:
        await db.close()
    print(json.dumps({"developments": developments}), flush=True)


def lines(figures: dict[str, Any]) -> list[str]:
    """The figures as report lines."""
    out = []
    for key, label in (("load_flood", "load + flood"), ("load_import", "load + import")):
        f = figures[key]
        extra = (
            f"; beside an import of {f['import_developments']:,} in {f['import_seconds']} s"
            if key == "load_import"
            else ""
        )
        out.append(
            f"{label:<20}first response median {f['median_ms']:.1f} ms   p99 {f['p99_ms']:.1f} ms"
            f"   ({f['n']:,} commands at {f['commands_per_s']}/s from {f['members']} members{extra}; "
            f"flooder's p99 {f['flood']['p99_ms']:.1f} ms)"
        )
        kinds = ", ".join(f"{k} {v} ms" for k, v in f["p99_ms_by_command"].items())
        out.append(f"{'':<20}p99 by command: {kinds}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure on a freshly generated catalogue and print the figures; or, with
    `--import-into`, be the import process."""
    p = argparse.ArgumentParser(prog="python -m bench.load")
    p.add_argument("--developments", type=int, default=100_000)
    p.add_argument("--servers", type=int, default=1_000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument(
        "--processes", type=int, default=0,
        help="on PostgreSQL: this many bot processes, each for its share of the servers",
    )  # fmt: skip
    p.add_argument(
        "--database-url", help="with --processes: this PostgreSQL database, already loaded"
    )
    p.add_argument("--import-into", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--play", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--shard", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.import_into is not None:
        asyncio.run(_import_into(args.import_into, args.developments, args.servers, args.seed))
        return 0
    plan = LoadPlan(
        seconds=args.seconds,
        import_developments=args.developments,
        import_servers=args.servers,
        seed=args.seed,
    )
    if args.play is not None:  # the bot's process of measure_load_process
        print(json.dumps(asyncio.run(measure_load(args.play, plan))), flush=True)
        return 0
    if args.shard is not None:
        index, count = (int(n) for n in args.shard.split("/"))
        played = asyncio.run(
            _play_shard(args.database_url, plan, Shard(index, count, start_at=0.0))
        )
        print(json.dumps(played), flush=True)
        return 0
    if args.processes:
        if args.database_url:
            figures = asyncio.run(measure_load_shards(args.database_url, plan, args.processes))
        else:
            figures = asyncio.run(
                measure_load_postgres(args.developments, plan, args.processes, args.servers)
            )
        print(json.dumps(figures, indent=2))
        f = figures["load_shards"]
        ok = f["p99_ms"] <= TARGET_P99_MS
        print(
            f"{args.processes} shard processes on PostgreSQL: first response median "
            f"{f['median_ms']:.1f} ms   p99 {f['p99_ms']:.1f} ms   ({f['n']:,} commands at "
            f"{f['commands_per_s']}/s; target ≤ {TARGET_P99_MS:.0f} ms: {'PASS' if ok else 'MISS'})"
        )
        return 0 if ok else 1
    from bench.generate import generate
    from bench.measure import import_catalogue

    database = Path(__file__).resolve().parent / "work" / "load.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    cat = generate(args.developments, args.servers, seed=args.seed + 1)
    asyncio.run(import_catalogue(database, cat))
    figures = asyncio.run(measure_load_process(database, plan))
    print(json.dumps(figures, indent=2))
    print("\n".join(lines(figures)))
    ok = figures["load"]["p99_ms"] <= TARGET_P99_MS
    print(
        f"first response p99 under load: target ≤ {TARGET_P99_MS:.0f} ms: {'PASS' if ok else 'MISS'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
