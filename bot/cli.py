"""The `briefbot` command line: run the bot, read briefs in the terminal, operate the data.

Arguments are validated before the database is opened, so a bad argument gets one line on
stderr, exit code 2, and leaves the database untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import NoReturn

from bot import __version__
from bot.config import ConfigError, Settings, configure_logging, load_settings
from bot.core import lookup, transfer
from bot.core.actors import OPERATOR
from bot.core.briefs import PERIODS, compose_brief, parse_domain, parse_period
from bot.core.digests import preview_text
from bot.core.errors import DomainError, InvalidInput
from bot.core.feeds.models import Candidate, Feed
from bot.core.models import DOMAINS
from bot.core.topics import get_topic
from bot.core.validation import parse_development_id, parse_fuzzy_date
from bot.services import Services, open_services
from storage import catalogue as queries
from storage.database import Database, DatabaseError
from storage.search_query import query_terms

log = logging.getLogger("bot.cli")
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    p = _Parser(prog="briefbot", description="Trilateral Brief: US–Japan–South Korea developments.")
    p.add_argument("--version", action="version", version=f"briefbot {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")

    def scoped(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--guild", type=int, help="also show this Discord server's own developments"
        )

    b = sub.add_parser("brief", help="a briefing on a topic")
    b.add_argument("topic")
    b.add_argument("--period", default="all", help=f"one of {', '.join(PERIODS)} (default all)")
    b.add_argument("--domain", help=f"one of {', '.join(DOMAINS)}")
    scoped(b)
    t = sub.add_parser("timeline", help="a topic's developments in date order")
    t.add_argument("topic")
    t.add_argument("--from", dest="start", help="YYYY, YYYY-MM or YYYY-MM-DD")
    t.add_argument("--to", dest="end", help="YYYY, YYYY-MM or YYYY-MM-DD")
    scoped(t)
    s = sub.add_parser("search", help="full-text search, best match first")
    s.add_argument("query", nargs="+")
    s.add_argument("--topic")
    scoped(s)
    d = sub.add_parser("development", help="one development")
    dsub = d.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for name in ("show", "history"):
        ds = dsub.add_parser(name, help=f"{name} a development")
        ds.add_argument("id")
        scoped(ds)
    db = sub.add_parser("db", help="database operations")
    dbsub = db.add_subparsers(dest="action", required=True, parser_class=_Parser)
    dbsub.add_parser("migrate", help="apply pending migrations")
    dbsub.add_parser("backup", help="write an online backup").add_argument("path", type=Path)
    dbsub.add_parser("restore", help="replace the database with a backup").add_argument(
        "path", type=Path
    )
    sub.add_parser("import", help="import a JSON or CSV file").add_argument("file", type=Path)
    sub.add_parser("export", help="export everything to JSON or CSV").add_argument(
        "file", type=Path
    )
    sub.add_parser("check", help="check configuration and database health")
    dg = sub.add_parser("digest", help="digests")
    dgsub = dg.add_subparsers(dest="action", required=True, parser_class=_Parser)
    pv = dgsub.add_parser("preview", help="the digest a channel would get now")
    pv.add_argument("--channel", type=int, help="a subscribed Discord channel id")
    _feed_parsers(sub)
    return p


# --- feeds and the review queue (issue 11) ---------------------------------------------
# The operator acts as an editor on the global queue; everything goes through FeedService.


def _feed_parsers(sub: argparse._SubParsersAction[_Parser]) -> None:
    f = sub.add_parser("feed", help="news feeds read into the global review queue")
    fsub = f.add_subparsers(dest="action", required=True, parser_class=_Parser)
    fa = fsub.add_parser("add", help="add a feed (fetches it once and says what it found)")
    fa.add_argument("url")
    fa.add_argument("--topics", help="only stories in these topics (comma-separated)")
    fa.add_argument("--keywords", help="only stories with one of these words (comma-separated)")
    fa.add_argument("--every", type=int, metavar="MINUTES", help="minutes between polls (15)")
    fsub.add_parser("list", help="the feeds, their state and why a paused one stopped")
    fsub.add_parser("remove", help="stop reading a feed").add_argument("id")
    fp = fsub.add_parser("poll", help="poll the feeds that are due (or one feed now)")
    fp.add_argument("id", nargs="?")
    q = sub.add_parser("queue", help="the global review queue of candidate developments")
    qsub = q.add_subparsers(dest="action", required=True, parser_class=_Parser)
    qsub.add_parser("list", help="what waits for review")
    qsub.add_parser("approve", help="publish a candidate as a development").add_argument("id")
    qsub.add_parser("reject", help="reject a candidate for good").add_argument("id")


def _parse_feed_ids(args: argparse.Namespace) -> None:
    """Check feed and queue arguments before the database is opened."""
    if args.command == "feed" and args.action == "add":
        # Imported here: aiohttp is not needed by (nor loaded for) the other commands.
        from bot.core.feeds.fetch import check_feed_url
        from bot.core.feeds.service import parse_interval, parse_keywords, parse_topic_list

        check_feed_url(args.url)
        parse_topic_list(args.topics)
        parse_keywords(args.keywords)
        parse_interval(args.every)
    value = getattr(args, "id", None)
    if value is not None:
        text = str(value).lstrip("#")
        if not text.isdigit() or int(text) == 0 or len(text) > 12:
            raise InvalidInput("id", f"{str(value)[:20]!r} is not an id (e.g. 3)")
        args.id = int(text)


def _feed_line(feed: Feed) -> str:
    state = "active" if feed.status == "active" else f"paused ({feed.pause_reason})"
    error = (
        f"; last error: {feed.last_error}" if feed.last_error and feed.status == "active" else ""
    )
    return f"#{feed.id} {feed.title} <{feed.url}> — {state}{error}"


def _candidate_line(c: Candidate) -> str:
    sources = ", ".join(dict.fromkeys(s.publisher or s.link for s in c.sources))
    return (
        f"#{c.id} {c.occurred_on} [{' '.join(c.countries)} | {c.domain} | relevance "
        f"{c.relevance:.2f}] {c.title} — {len(c.sources)} source(s): {sources}"
    )


async def _feeds_command(args: argparse.Namespace, s: Services) -> str:
    feeds = s.feeds
    if args.command == "feed" and args.action == "add":
        added = await feeds.add_feed(
            OPERATOR, args.url, topics=args.topics, keywords=args.keywords, every_minutes=args.every
        )
        return f"added feed #{added.feed.id} {added.feed.title!r}: {added.report.line()}"
    if args.command == "feed" and args.action == "list":
        found = await feeds.list_feeds(None)
        return "\n".join(_feed_line(f) for f in found) or "no feeds yet (briefbot feed add URL)"
    if args.command == "feed" and args.action == "remove":
        gone = await feeds.remove_feed(OPERATOR, args.id)
        return f"removed feed #{gone.id} {gone.title!r}; its queued candidates stay"
    if args.command == "feed":
        if args.id is not None:
            return (await feeds.poll_feed(OPERATOR, args.id)).line()
        reports = await feeds.poll_due()
        return "\n".join(r.line() for r in reports) or "no feed is due"
    if args.action == "list":
        waiting = await feeds.queue(None)
        return "\n".join(_candidate_line(c) for c in waiting) or "the queue is empty"
    if args.action == "approve":
        dev = await feeds.approve(OPERATOR, args.id)
        return f"approved candidate #{args.id} as development #{dev.id}: {dev.title}"
    rejected = await feeds.reject(OPERATOR, args.id)
    return f"rejected candidate #{rejected.id}; this story will not be queued again"


# --- end of feeds -----------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> None:
    """Check every argument that can be checked without the database."""
    if args.command in ("brief", "timeline"):
        get_topic(args.topic)
    if args.command == "brief":
        parse_period(args.period)
        parse_domain(args.domain)
    if args.command == "timeline":
        for value, name in ((args.start, "from"), (args.end, "to")):
            if value:
                parse_fuzzy_date(value, name)
    if args.command == "search":
        if args.topic:
            get_topic(args.topic)
        if not query_terms(" ".join(args.query)):
            raise InvalidInput("query", "type at least one word or number")
    if args.command == "development":
        args.id = parse_development_id(args.id)
    if args.command in ("import", "export"):
        if args.file.suffix.lower() not in (".json", ".csv"):
            raise InvalidInput("file", "must end in .json or .csv")
        if args.command == "import" and not args.file.is_file():
            raise InvalidInput("file", f"{args.file} does not exist")
    if args.command in ("feed", "queue"):
        _parse_feed_ids(args)
    if args.command == "db" and args.action == "restore" and not args.path.is_file():
        raise InvalidInput("path", f"{args.path} does not exist")


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[str]]) -> str:
    services = await open_services(settings)
    try:
        return await work(services)
    finally:
        await services.close()


async def _read(args: argparse.Namespace, s: Services) -> str:
    r = s.terminal
    guild = getattr(args, "guild", None)
    if args.command == "brief":
        brief = await compose_brief(
            s.db, args.topic, guild, period=args.period, domain=args.domain, clock=s.clock
        )
        return r.render("brief.j2", brief=brief)
    if args.command == "timeline":
        tl = await lookup.timeline(s.db, args.topic, guild, start=args.start, end=args.end)
        return r.render("timeline.j2", timeline=tl)
    if args.command == "search":
        results = await lookup.search(s.db, " ".join(args.query), guild, topic_name=args.topic)
        return r.render("search.j2", results=results)
    dev = await s.catalogue.show(args.id, guild)
    if args.action == "history":
        return r.render("history.j2", d=dev, revisions=await queries.list_revisions(s.db, dev.id))
    return r.render("development.j2", d=dev)


async def _db(args: argparse.Namespace, settings: Settings) -> str:
    path = Path(settings.database_path)
    if args.action == "restore":
        return await restore(args.path, path)
    db = await Database.open(path)
    try:
        if args.action == "migrate":
            return f"database {path} is at schema version {await db.schema_version()}"
        await db.backup_to(args.path)
        return f"backed up {path} to {args.path}"
    finally:
        await db.close()


async def restore(backup: Path, target: Path) -> str:
    """Check a backup, then copy it over the live database (stop the bot first)."""
    staging = target.with_name(target.name + ".restoring")
    source = await Database.open(backup, migrate=False)
    try:
        health = await source.integrity_check()
        if health != "ok":
            raise DatabaseError(f"{backup} fails its integrity check: {health}")
        if await source.schema_version() == 0:
            raise DatabaseError(f"{backup} is not a briefbot database")
        await source.backup_to(staging)
    finally:
        await source.close()
    # The old database's WAL and shared-memory files belong to it, not to the backup: left
    # in place (after a crash) they would be replayed onto the restored copy.
    for leftover in (f"{target}-wal", f"{target}-shm"):
        Path(leftover).unlink(missing_ok=True)
    staging.replace(target)
    restored = await Database.open(target)
    version = await restored.schema_version()
    await restored.close()
    return f"restored {target} from {backup} (schema version {version})"


async def _transfer(args: argparse.Namespace, settings: Settings) -> str:
    db = await Database.open(Path(settings.database_path))
    try:
        if args.command == "export":
            data = await transfer.export_data(db)
            transfer.write_file(args.file, data)
            return f"exported {len(data['developments'])} developments and {len(data['assessments'])} assessments to {args.file}"
        counts = await transfer.import_data(db, transfer.read_file(args.file))
        return f"imported {counts['developments']} developments and {counts['assessments']} assessments from {args.file}"
    finally:
        await db.close()


async def check(settings: Settings) -> tuple[bool, str]:
    """Configuration and database health, one line per check."""
    lines = [
        f"config: ok (database {settings.database_path}, time zone {settings.default_timezone}, "
        f"{len(settings.editor_ids)} editor(s))",
        "token: set" if settings.discord_token else "token: not set (only `briefbot run` needs it)",
    ]
    db = await Database.open(Path(settings.database_path))
    try:
        health = await db.integrity_check()
        counts = await queries.catalogue_counts(db)
        lines.append(f"database: schema version {await db.schema_version()}, integrity {health}")
        lines.append(
            "catalogue: {global_published} global and {server_published} server developments "
            "published, {retracted} retracted, {sources} sources".format(**counts)
        )
    finally:
        await db.close()
    return health == "ok", "\n".join(lines)


async def _digest_preview(args: argparse.Namespace, s: Services) -> str:
    return await preview_text(
        s.db,
        s.terminal,
        s.clock(),
        channel_id=args.channel,
        default_timezone=s.settings.default_timezone,
    )


async def _dispatch(args: argparse.Namespace, settings: Settings) -> tuple[int, str]:
    if args.command == "digest":
        return 0, await _with_services(settings, lambda s: _digest_preview(args, s))
    if args.command in ("feed", "queue"):
        return 0, await _with_services(settings, lambda s: _feeds_command(args, s))
    if args.command in ("brief", "timeline", "search", "development"):
        return 0, await _with_services(settings, lambda s: _read(args, s))
    if args.command == "db":
        return 0, await _db(args, settings)
    if args.command in ("import", "export"):
        return 0, await _transfer(args, settings)
    if args.command == "check":
        ok, text = await check(settings)
        return (0 if ok else 1), text
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `briefbot` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level if args.command == "run" else "WARNING")
        if args.command == "run":
            from bot.client import run_bot

            run_bot(settings)
            return 0
        _validate(args)
        code, text = asyncio.run(_dispatch(args, settings))
    except (ConfigError, DomainError) as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 1
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        log.exception("unexpected error error_id=%s", error_id)
        print(
            f"briefbot: unexpected error (error id {error_id}); nothing was changed",
            file=sys.stderr,
        )
        return 1
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
