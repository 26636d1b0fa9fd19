"""`briefbot feed …` and `briefbot queue …` run as an operator would, against the
loopback feed server (served by this test's event loop while the CLI runs)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.cli.test_cli import BRIEFBOT, Cli
from tests.feeds.server import DATA, FeedServer, RawServer
from tests.feeds.test_real_world import HOSTILE_REASON


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    s = FeedServer()
    s.serve_fixture("yonhap", "yonhap_rss2.xml")
    s.serve_fixture("kyodo", "kyodo_atom.xml", "application/atom+xml")
    s.serve_fixture("page", "page.html", "text/html")
    await s.start()
    yield s
    await s.stop()


async def run(cli: Cli, *args: str, allow_private: bool = True) -> tuple[int, str, str]:
    env = cli.env(FEEDS_ALLOW_PRIVATE="true" if allow_private else "false")
    proc = await asyncio.create_subprocess_exec(
        BRIEFBOT,
        *args,
        cwd=cli.root,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


def _pending(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        value = conn.execute("SELECT COUNT(*) FROM candidates WHERE status='pending'").fetchone()
    conn.close()
    return int(value[0])


async def test_operator_adds_feeds_reviews_and_approves(tmp_path: Path, server: FeedServer):
    cli = Cli(tmp_path)
    code, out, err = await run(cli, "feed", "add", server.url("yonhap"))
    assert code == 0, err
    assert out.startswith("added feed #1 'Yonhap News Agency - North Korea & Diplomacy': ")
    assert "6 items, 4 new candidates" in out and "1 not about the tracked countries" in out
    code, out, _ = await run(cli, "feed", "add", server.url("kyodo"), "--keywords", "drills")
    assert "1 merged into existing ones" in out
    code, listed, _ = await run(cli, "feed", "list")
    assert code == 0 and listed.count("— active") == 2
    code, queue, _ = await run(cli, "queue", "list")
    first = queue.splitlines()[0]
    assert first.startswith("#1 2026-10-30 [US JP KR | security | relevance 1.00] S. Korea, U.S.")
    assert "2 sources: Yonhap News Agency - North Korea & Diplomacy, Kyodo News+" in first
    code, out, err = await run(cli, "queue", "approve", "1")
    assert code == 0 and out.startswith("approved candidate #1 as development #"), err
    dev_id = out.split("development #")[1].split(":")[0]
    code, shown, _ = await run(cli, "development", "show", dev_id)
    assert "english.kyodonews.net" in shown and "en.yna.co.kr" in shown
    code, out, _ = await run(cli, "queue", "reject", "#2")
    assert out.startswith("rejected candidate #2")
    assert _pending(cli.db) == 2
    code, out, _ = await run(cli, "feed", "poll", "1")
    assert out.strip() == "feed 1 unchanged (304)"
    code, out, _ = await run(cli, "feed", "remove", "2")
    assert out.startswith("removed feed #2")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("queue", "approve", "abc"), "is not an id"),
        (("feed", "add", "ftp://example.com/rss"), "http:// or https://"),
        (("queue", "approve", "99"), "There is no candidate #99"),
        (("feed", "remove", "7"), "There is no feed #7"),
        (("feed", "add", "https://example.com/rss", "--every", "2"), "5 to 1440 minutes"),
        (("feed", "add", "https://example.com/rss", "--topics", "mars"), "no topic called"),
    ],
)
async def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args, words) -> None:
    code, out, err = await run(Cli(tmp_path), *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert words in err


async def test_private_addresses_need_the_setting(tmp_path: Path, server: FeedServer) -> None:
    cli = Cli(tmp_path)
    code, out, err = await run(cli, "feed", "add", server.url("yonhap"), allow_private=False)
    assert code == 2 and "FEEDS_ALLOW_PRIVATE" in err and len(err.strip().splitlines()) == 1
    code, out, err = await run(cli, "feed", "add", server.url("page"))
    assert code == 2 and "is a web page, not a feed" in err
    code, out, _ = await run(cli, "feed", "list")
    assert out.strip() == "no feeds yet (briefbot feed add URL)"
    assert server.hits == {"page": 1}


async def test_a_feed_server_failing_is_exit_1_not_2(tmp_path: Path, server: FeedServer) -> None:
    cli = Cli(tmp_path)
    server.statuses["broken"] = 500
    code, out, err = await run(cli, "feed", "add", server.url("broken"))
    assert (code, out) == (1, "") and len(err.strip().splitlines()) == 1, err
    assert "answered HTTP 500" in err
    code, _, err = await run(cli, "feed", "add", server.url("yonhap"))
    assert code == 0, err
    server.statuses["yonhap"] = 503
    code, out, err = await run(cli, "feed", "poll", "1")
    assert code == 1 and out == "" and err.strip().startswith("briefbot: feed 1 failed: ")
    with sqlite3.connect(cli.db) as conn:
        conn.execute("UPDATE feeds SET next_poll_at = '2000-01-01T00:00:00Z'")
    conn.close()
    code, out, _ = await run(cli, "feed", "poll")
    assert code == 1 and out.startswith("feed 1 failed: ") and "HTTP 503" in out


def _recent(days: float = 1.0) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(days=days), usegmt=True)


CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c")


async def test_text_from_outside_reaches_the_terminal_without_controls(
    tmp_path: Path, server: FeedServer
) -> None:
    cli = Cli(tmp_path)
    hostile = RawServer(HOSTILE_REASON + b"Content-Length: 0\r\n\r\n")
    await hostile.start()
    try:
        code, out, err = await run(cli, "feed", "add", hostile.url("rss"))
    finally:
        await hostile.stop()
    assert code == 1 and "answered HTTP 503 Busy" in err and len(err.strip().splitlines()) == 1
    assert not set(CONTROLS) & set(err), repr(err)
    title = "Japan, South Korea sign \u202eevif\u202c defense pact \x1b[31m"
    server.serve_items("bidi", "Wire \u202eeriw\u202c", [(title, "https://ex.jp/bidi", _recent())])
    code, out, err = await run(cli, "feed", "add", server.url("bidi"))
    assert code == 0, err
    assert "Wire eriw" in out and not set(CONTROLS) & set(out), repr(out)
    code, queue, _ = await run(cli, "queue", "list")
    assert "sign evif defense pact" in queue and not set(CONTROLS) & set(queue), repr(queue)
    server.statuses["bidi"] = 500
    code, _, err = await run(cli, "feed", "poll", "1")
    assert code == 1 and not set(CONTROLS) & set(err)
    code, listed, _ = await run(cli, "feed", "list")
    assert "Wire eriw" in listed and not set(CONTROLS) & set(listed), repr(listed)


async def test_bad_character_references_are_one_feed_not_a_traceback(
    tmp_path: Path, server: FeedServer
) -> None:
    cli = Cli(tmp_path)
    body = (DATA / "bad_references.xml").read_text().replace("Oct 2026", "Dec 2026")
    dated = body.replace("Sat, 31 Dec 2026 09:00:00 GMT", _recent()).replace(
        "Sat, 31 Dec 2026 10:00:00 GMT", _recent(2)
    )
    server.documents["refs"] = (dated.encode(), "application/rss+xml")
    code, out, err = await run(cli, "feed", "add", server.url("refs"))
    assert code == 0 and err == "", err
    assert "2 items, 2 new candidates" in out and len(out.strip().splitlines()) == 1


async def test_feed_list_shows_the_interval_and_last_fetch(tmp_path: Path, server: FeedServer):
    cli = Cli(tmp_path)
    await run(cli, "feed", "add", server.url("kyodo"), "--every", "30")
    code, listed, _ = await run(cli, "feed", "list")
    assert code == 0
    assert re.search(r"— active, every 30 min, last fetch 20\d\d-\d\d-\d\d \d\d:\d\d UTC$", listed)
    code, out, _ = await run(cli, "feed", "pause", "1")
    assert code == 0 and out.startswith("paused feed #1")
    code, listed, _ = await run(cli, "feed", "list")
    assert "— paused (paused by operator), every 30 min, last fetch" in listed
    code, out, _ = await run(cli, "feed", "resume", "1")
    assert code == 0 and out.startswith("resumed feed #1")


async def test_a_page_and_a_refused_connection_get_one_human_line(
    tmp_path: Path, server: FeedServer
) -> None:
    cli = Cli(tmp_path)
    server.documents["home"] = ((DATA / "page_relative.html").read_bytes(), "text/html")
    code, _, err = await run(cli, "feed", "add", server.url("home"))
    assert code == 2 and err.strip().endswith(f"its feed seems to be {server.url('rss.xml')}")
    port = server.port
    await server.stop()
    code, out, err = await run(cli, "feed", "add", f"http://127.0.0.1:{port}/rss")
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"briefbot: cannot fetch http://127.0.0.1:{port}/rss: the server refused the connection"
    )


def test_the_poll_report_counts_in_words() -> None:
    from bot.domain.feeds import _count

    assert _count(1, "item") == "1 item"
    assert _count(2, "new candidate") == "2 new candidates"
    assert _count(0, "older item") == "0 older items"
