"""The `briefbot` command line: run the bot, read briefs in the terminal, operate the data.

Arguments are validated before the database is opened, so a bad argument gets one line on
stderr, exit code 2, and leaves the database untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeVar

from bot import __version__
from bot.config import ConfigError, Settings, configure_logging, load_settings
from bot.core import lookup, maintenance
from bot.core.actors import OPERATOR
from bot.core.briefs import PERIODS, compose_brief, parse_domain, parse_period
from bot.core.maintenance import BadDatabaseFile, DatabaseError
from bot.core.topics import get_topic
from bot.core.validation import parse_development_id, parse_fuzzy_date
from bot.domain.controls import for_terminal
from bot.domain.errors import DomainError, InvalidInput, Unreachable
from bot.domain.models import DOMAINS
from bot.domain.scope import Scope
from bot.services import Services, open_services

if TYPE_CHECKING:  # the feed types are only named here: a one-shot brief need not load them
    from bot.domain.feeds import Candidate, Feed

log = logging.getLogger("bot.cli")
_T = TypeVar("_T")
EXIT_USAGE = 2


def snowflake(text: str) -> int:
    """A Discord id argument: digits that fit SQLite's 64-bit integer."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:30]!r} is not a Discord id (digits, < 2^63)")
    return int(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    p = _Parser(prog="briefbot", description="Trilateral Brief: US–Japan–South Korea developments.")
    p.add_argument("--version", action="version", version=f"briefbot {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser(
        "run",
        help="run the bot on Discord and/or Telegram (needs DISCORD_TOKEN, TELEGRAM_TOKEN or both)",
    )

    def scoped(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--guild", type=snowflake, help="also show this Discord server's own developments"
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
    t.add_argument("--chart", type=Path, metavar="FILE.png", help="also draw a chart to FILE.png")
    scoped(t)
    s = sub.add_parser("search", help="full-text search, best match first")
    s.add_argument("query", nargs="+")
    s.add_argument("--topic")
    scoped(s)
    a = sub.add_parser("ask", help="a question answered from the catalogue, with citations")
    a.add_argument("question", nargs="*", help="in English, Japanese or Korean")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument(
        "--reindex",
        action="store_true",
        help="embed the developments that have no vector yet (the semantic extra)",
    )
    scoped(a)
    d = sub.add_parser("development", help="one development")
    dsub = d.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for name in ("show", "history"):
        ds = dsub.add_parser(name, help=f"{name} a development")
        ds.add_argument("id")
        scoped(ds)
    db = sub.add_parser("db", help="database operations")
    dbsub = db.add_subparsers(dest="action", required=True, parser_class=_Parser)
    dbsub.add_parser("migrate", help="apply pending migrations")
    bk = dbsub.add_parser("backup", help="write an online backup to a new file")
    bk.add_argument("path", type=Path)
    bk.add_argument("--force", action="store_true", help="replace the file if it exists")
    dbsub.add_parser("restore", help="replace the database with a backup").add_argument(
        "path", type=Path
    )
    dbsub.add_parser(
        "copy", help="copy the SQLite database, all of it, into an empty PostgreSQL database"
    ).add_argument("--to", required=True, metavar="postgresql://…", help="the target database")
    sub.add_parser("import", help="import a JSON or CSV file").add_argument("file", type=Path)
    sub.add_parser("export", help="export everything to JSON or CSV").add_argument(
        "file", type=Path
    )
    sub.add_parser("check", help="check configuration and database health")
    dg = sub.add_parser("digest", help="digests")
    dgsub = dg.add_subparsers(dest="action", required=True, parser_class=_Parser)
    pv = dgsub.add_parser("preview", help="the digest a channel would get now")
    pv.add_argument("--channel", type=snowflake, help="a subscribed Discord channel id")
    _feed_parsers(sub)
    return p


# --- feeds and the review queue -----------------------------------------------------------
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
    fsub.add_parser("pause", help="stop polling a feed for now").add_argument("id")
    fsub.add_parser("resume", help="poll a paused feed again").add_argument("id")
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
    fetched = (
        f"last fetch {feed.last_polled_at[:16].replace('T', ' ')} UTC"
        if feed.last_polled_at
        else "not fetched yet"
    )
    error = (
        f"; last error: {feed.last_error}" if feed.last_error and feed.status == "active" else ""
    )
    capped = f"; last fetch left out {feed.last_capped} older items" if feed.last_capped else ""
    return (
        f"#{feed.id} {feed.title} <{feed.url}> — {state}, every {feed.interval_s // 60} min, "
        f"{fetched}{error}{capped}"
    )


def _count(n: int, one: str, many: str) -> str:
    """`1 source`, `2 sources`: the command line speaks English only."""
    return f"{n} {one if n == 1 else many}"


def _candidate_line(c: Candidate) -> str:
    sources = ", ".join(dict.fromkeys(s.publisher or s.link for s in c.sources))
    return (
        f"#{c.id} {c.occurred_on} [{' '.join(c.countries)} | {c.domain} | relevance "
        f"{c.relevance:.2f}] {c.title} — {_count(len(c.sources), 'source', 'sources')}: {sources}"
    )


async def _feeds_command(args: argparse.Namespace, s: Services) -> str:
    feeds = s.feeds
    if args.command == "feed" and args.action == "add":
        added = await feeds.add_feed(
            OPERATOR, args.url, topics=args.topics, keywords=args.keywords, every_minutes=args.every
        )
        return f"added feed #{added.feed.id} '{added.feed.title}': {added.report.line()}"
    if args.command == "feed" and args.action == "list":
        found = await feeds.list_feeds(None)
        return "\n".join(_feed_line(f) for f in found) or "no feeds yet (briefbot feed add URL)"
    if args.command == "feed" and args.action == "remove":
        gone = await feeds.remove_feed(OPERATOR, args.id)
        return f"removed feed #{gone.id} '{gone.title}'; its queued candidates stay"
    if args.command == "feed" and args.action in ("pause", "resume"):
        changed = await feeds.pause_feed(OPERATOR, args.id, paused=args.action == "pause")
        if args.action == "pause":
            return f"paused feed #{changed.id} '{changed.title}'"
        return f"resumed feed #{changed.id} '{changed.title}': it is polled at the next sweep"
    if args.command == "feed":
        if args.id is not None:
            report = await feeds.poll_feed(OPERATOR, args.id)
            if report.failed:
                raise Unreachable(report.line())
            return report.line()
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


async def _poll_due(s: Services) -> tuple[int, str]:
    """Poll the due feeds: a line each; exit 1 when one of them failed (the network's or
    the publisher's failure, not the operator's input)."""
    reports = await s.feeds.poll_due()
    text = "\n".join(r.line() for r in reports) or "no feed is due"
    return (1 if any(r.failed for r in reports) else 0), text


def _validate(args: argparse.Namespace, settings: Settings) -> None:
    """Check every argument that can be checked without the database."""
    if args.command == "db" and args.action in ("backup", "restore"):
        _file_backups_only(args, settings)
    if args.command in ("brief", "timeline"):
        get_topic(args.topic)
    if args.command == "brief":
        parse_period(args.period)
        parse_domain(args.domain)
    if args.command == "timeline":
        for value, name in ((args.start, "from"), (args.end, "to")):
            if value:
                parse_fuzzy_date(value, name)
        if args.chart is not None and args.chart.suffix.lower() != ".png":
            raise InvalidInput("chart", "must be a file name ending in .png")
        if args.chart is not None and not args.chart.resolve().parent.is_dir():
            raise InvalidInput("chart", f"folder {args.chart.parent} does not exist")
    if args.command == "search":
        if args.topic:
            get_topic(args.topic)
        if not lookup.has_search_terms(" ".join(args.query)):
            raise InvalidInput("query", "type at least one word or number")
    if args.command == "ask":
        _validate_ask(args)
    if args.command == "development":
        args.id = parse_development_id(args.id)
    if args.command in ("import", "export"):
        if args.file.suffix.lower() not in (".json", ".csv"):
            raise InvalidInput("file", "must end in .json or .csv")
        if args.command == "import" and not args.file.is_file():
            raise InvalidInput("file", f"{args.file} does not exist")
        if args.command == "export":
            _new_file_in_existing_folder("file", args.file, replace=True)
    if args.command in ("feed", "queue"):
        _parse_feed_ids(args)
    if args.command == "db" and args.action == "restore" and not args.path.is_file():
        raise InvalidInput("path", f"{args.path} does not exist")
    if args.command == "db" and args.action == "backup":
        _new_file_in_existing_folder("path", args.path, replace=args.force)


def _file_backups_only(args: argparse.Namespace, settings: Settings) -> None:
    """`db backup` and `db restore` copy a SQLite file; on PostgreSQL they change nothing
    and name the server's own tools, in the shape to run (the password comes from
    PGPASSWORD or ~/.pgpass, never from a command line that shell history keeps)."""
    if settings.database_url is None:
        return
    url = shlex.quote(settings.database_label)
    file = shlex.quote(str(args.path))
    if args.action == "backup":
        raise InvalidInput(
            "db backup",
            "copies a SQLite file; on PostgreSQL (DATABASE_URL) use pg_dump: "
            f"pg_dump --format=custom --file={file} {url} (nothing was changed)",
        )
    raise InvalidInput(
        "db restore",
        "replaces a SQLite file; on PostgreSQL (DATABASE_URL) stop every briefbot process, "
        "then use pg_restore, which restores all or nothing with --single-transaction: "
        f"pg_restore --clean --if-exists --single-transaction --dbname={url} {file} "
        "(nothing was changed)",
    )


def _new_file_in_existing_folder(field: str, path: Path, *, replace: bool) -> None:
    """A file to write: its folder must exist (a typo in it must not create folders), it
    must not be a folder, and an existing file is replaced only when `replace` is set."""
    if path.is_dir():
        raise InvalidInput(field, f"{path} is a folder; give a file name")
    folder = path.resolve().parent
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(field, f"{path.parent} is a file, not a folder")
    if not folder.is_dir():
        raise InvalidInput(field, f"folder {path.parent} does not exist")
    if path.exists() and not replace:
        raise InvalidInput(field, f"{path} already exists (add --force to replace it)")


def _validate_ask(args: argparse.Namespace) -> None:
    from bot.core.ask.semantic import semantic_available
    from bot.core.ask.service import check_question

    if args.reindex:
        if args.question or args.json:
            raise InvalidInput("reindex", "takes no question and no --json")
        if not semantic_available():
            raise InvalidInput(
                "reindex",
                "needs the semantic extra: pip install -e '.[semantic]' (nothing to reindex without it)",
            )
        return
    if not args.question:
        raise InvalidInput(
            "question", 'ask something, e.g. briefbot ask "Did Japan lift the export controls?"'
        )
    check_question(" ".join(args.question))


async def _ask(args: argparse.Namespace, s: Services) -> str:
    if args.reindex:
        assert s.semantic is not None  # checked before the database was opened
        count = await s.semantic.reindex(s.db)
        return f"embedded {_count(count, 'development', 'developments')} for /ask"
    scope = None if args.guild is None else Scope.discord(args.guild)
    answer = await s.asker.ask(" ".join(args.question), scope)
    if args.json:
        return json.dumps(answer.to_json(), ensure_ascii=False)
    return s.renderers.terminal.render("ask.j2", answer=answer)


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[_T]]) -> _T:
    services = await open_services(settings)
    try:
        return await work(services)
    finally:
        await services.close()


async def _read(args: argparse.Namespace, s: Services) -> str:
    r = s.renderers.terminal
    guild = getattr(args, "guild", None)
    scope = None if guild is None else Scope.discord(guild)
    if args.command == "brief":
        brief = await compose_brief(
            s.db, args.topic, scope, period=args.period, domain=args.domain, clock=s.clock
        )
        return r.render("brief.j2", brief=brief)
    if args.command == "timeline":
        tl = await lookup.timeline(s.db, args.topic, scope, start=args.start, end=args.end)
        text = r.render("timeline.j2", timeline=tl)
        if args.chart is not None:
            from bot.core.chart import draw_timeline  # matplotlib only when a chart is asked

            png = await draw_timeline(tl)
            await asyncio.to_thread(args.chart.write_bytes, png)
            text += f"\nChart written to {args.chart}\n"
        return text
    if args.command == "search":
        results = await lookup.search(s.db, " ".join(args.query), scope, topic_name=args.topic)
        return r.render("search.j2", results=results)
    if args.action == "history":
        operator = replace(OPERATOR, scope=scope)  # the operator reads any history
        dev, revisions = await s.catalogue.history(operator, args.id)
        return r.render("history.j2", d=dev, revisions=revisions)
    return r.render("development.j2", d=await s.catalogue.show(args.id, scope))


async def _db(args: argparse.Namespace, settings: Settings) -> str:
    if args.action == "migrate":
        version = await maintenance.migrate(settings.database)
        return f"database {settings.database_label} is at schema version {version}"
    path = Path(settings.database_path)
    if args.action == "copy":
        return await _db_copy(args.to, path)
    if args.action == "restore":
        return await restore(args.path, path)
    if args.path.resolve() == path.resolve():
        raise InvalidInput("path", f"{args.path} is the database itself; choose another file")
    await maintenance.backup(path, args.path)
    return f"backed up {path} to {args.path}"


async def _db_copy(url: str, path: Path) -> str:
    """Copy the SQLite database into an empty PostgreSQL one, a line per table as it goes."""
    from bot.core.db_copy import copy_database  # only here: the copy's checks load pydantic

    def progress(line: str) -> None:
        _print(f"  {line}")
        sys.stdout.flush()

    done = await copy_database(path, url, progress=progress)
    r = done.report
    return (
        f"copied {path} to {done.target}: {_count(r.rows, 'row', 'rows')} in "
        f"{_count(len(r.tables), 'table', 'tables')} and "
        f"{_count(r.search_rows, 'development', 'developments')} indexed for search, in "
        f"{r.seconds:.1f} s; row counts and export checked"
    )


async def restore(backup: Path, target: Path) -> str:
    """Check a backup, migrate a copy, then swap it in for the live database (stop the bot
    first); the previous database is kept beside it."""
    done = await maintenance.restore(backup, target)
    kept = f"; the previous database is kept as {done.previous}" if done.previous else ""
    return f"restored {target} from {backup} (schema version {done.version}){kept}"


async def _transfer(args: argparse.Namespace, settings: Settings) -> str:
    if args.command == "export":
        devs, assessments = await maintenance.export_file(settings.database, args.file)
        return (
            f"exported {_count(devs, 'development', 'developments')} and "
            f"{_count(assessments, 'assessment', 'assessments')} to {args.file}"
        )
    devs, assessments = await maintenance.import_file(settings.database, args.file)
    return (
        f"imported {_count(devs, 'development', 'developments')} and "
        f"{_count(assessments, 'assessment', 'assessments')} from {args.file}"
    )


async def check(settings: Settings) -> tuple[bool, str]:
    """Configuration and database health, one line per check."""
    lines = [
        f"config: ok (database {settings.database_in_use}, time zone "
        f"{settings.default_timezone}, {_count(len(settings.editor_ids), 'editor', 'editors')})",
        "token: set" if settings.discord_token else "token: not set (only `briefbot run` needs it)",
        "telegram token: set" if settings.telegram_token else "telegram token: not set",
    ]
    health = await maintenance.check_health(settings.database)
    lines.append(f"database: schema version {health.schema_version}, integrity {health.integrity}")
    lines.append(
        "catalogue: {global_published} global and {server_published} server developments "
        "published, {retracted} retracted, {sources} sources".format(**health.counts)
    )
    return health.ok, "\n".join(lines)


async def _digest_preview(args: argparse.Namespace, s: Services) -> str:
    from bot.core.digests.building import (
        preview_text,  # only here: a brief's cold start does not load it
    )

    return await preview_text(
        s.db,
        s.renderers.terminal,
        s.clock(),
        channel_id=args.channel,
        default_timezone=s.settings.default_timezone,
    )


async def _dispatch(args: argparse.Namespace, settings: Settings) -> tuple[int, str]:
    if args.command == "digest":
        return 0, await _with_services(settings, lambda s: _digest_preview(args, s))
    if args.command == "feed" and args.action == "poll" and args.id is None:
        return await _with_services(settings, lambda s: _poll_due(s))
    if args.command in ("feed", "queue"):
        return 0, await _with_services(settings, lambda s: _feeds_command(args, s))
    if args.command == "ask":
        return 0, await _with_services(settings, lambda s: _ask(args, s))
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


def _os_error(exc: OSError) -> str:
    """One line naming the path and the operating system's reason."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _print(text: str, file: TextIO | None = None) -> None:
    """Everything the command line prints passes here: text from outside (a feed's title,
    a server's reason phrase) loses its control and bidi characters on the way."""
    print(for_terminal(text), file=file)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `briefbot` console script."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # now, so a closed pipe is met here and not at exit
    except BrokenPipeError:
        # The reader stopped reading (`briefbot brief … | head`): that ends the output,
        # it is not an error. Later writes (and the flush at exit) go nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(
            settings.log_level if args.command == "run" else "WARNING",
            secrets=settings.secrets,
        )
        if args.command == "run":
            from bot.runner import run_front_ends

            asyncio.run(run_front_ends(settings))
            return 0
        _validate(args, settings)
        code, text = asyncio.run(_dispatch(args, settings))
    except BadDatabaseFile as exc:
        _print(f"briefbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:  # before DomainError: a busy database is not bad input
        _print(f"briefbot: {exc}", file=sys.stderr)
        return 1
    except Unreachable as exc:  # before DomainError: a feed's server failed, not the input
        _print(f"briefbot: {exc}", file=sys.stderr)
        return 1
    except (ConfigError, DomainError) as exc:
        _print(f"briefbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        _print(f"briefbot: {_os_error(exc)}", file=sys.stderr)
        return 1
    except Exception:
        import uuid  # only for this rare path: it loads `platform` (~2 ms of a cold start)

        error_id = uuid.uuid4().hex[:8]
        log.exception("unexpected error error_id=%s", error_id)
        _print(
            f"briefbot: unexpected error (error id {error_id}); nothing was changed",
            file=sys.stderr,
        )
        return 1
    _print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
