"""Parsing feeds in a child process with a hard deadline.

feedparser is pure Python: a large or malformed feed can hold a thread for tens of seconds
and a thread cannot be stopped. The child parses one feed at a time; past the deadline it
is killed (the work really ends) and the next feed starts a new one.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from bot.core.feeds.parse import ParsedFeed, parse_feed
from bot.domain.errors import InvalidInput

log = logging.getLogger(__name__)

PARSE_DEADLINE_S = 15.0
_START_S = 60.0  # a cold start imports feedparser and our modules


def _serve(jobs: Connection, conn: Connection) -> None:
    """The child: parse what arrives, answer with the feed or why it could not be read."""
    conn.send(("ready",))
    while True:
        try:
            body, content_type, url = jobs.recv()
        except (EOFError, OSError):
            return
        answer: tuple[Any, ...]
        try:
            answer = ("ok", parse_feed(body, content_type, url))
        except InvalidInput as exc:
            answer = ("invalid", exc.field, exc.rule)
        except Exception as exc:  # reported as a failure of this feed, never of the child
            answer = ("error", type(exc).__name__)
        conn.send(answer)


class ParseWorker:
    """One child process parsing feeds one at a time, each within `deadline_s`."""

    def __init__(self, deadline_s: float = PARSE_DEADLINE_S) -> None:
        self.deadline_s = deadline_s
        self._process: subprocess.Popen[bytes] | None = None
        self._jobs: Connection | None = None
        self._conn: Connection | None = None
        # One thread: feeds wait their turn for the child without blocking the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-parse")
        self._lock = threading.Lock()

    async def parse(self, body: bytes, content_type: str | None, url: str) -> ParsedFeed:
        """`parse_feed` in the child; `InvalidInput` when it cannot be read in time."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._parse, body, content_type, url)

    def _start(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._process.poll() is None:
            assert self._jobs is not None and self._conn is not None
            return self._jobs, self._conn
        self._stop()
        # A fresh interpreter running this module (not a fork of a threaded process, nor a
        # re-import of whatever script is __main__), talking over two pipes of its own.
        job_read, job_write = os.pipe()
        answer_read, answer_write = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(job_read), str(answer_write)],
                pass_fds=(job_read, answer_write),
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(job_read)
            os.close(answer_write)
        jobs = Connection(job_write, readable=False)
        conn = Connection(answer_read, writable=False)
        self._process, self._jobs, self._conn = process, jobs, conn
        if not conn.poll(_START_S):
            self._stop()
            raise RuntimeError("the feed parser did not start")
        conn.recv()
        return jobs, conn

    def _stop(self) -> None:
        for end in (self._jobs, self._conn):
            if end is not None:
                end.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(5)
        self._process = self._jobs = self._conn = None

    def _parse(self, body: bytes, content_type: str | None, url: str) -> ParsedFeed:
        with self._lock:
            jobs, conn = self._start()
            try:
                jobs.send((body, content_type, url))
                if not conn.poll(self.deadline_s):
                    self._stop()  # kills the child: the parse ends now, not when it is done
                    log.warning("feed parse stopped at the deadline url=%r", url)
                    raise InvalidInput(
                        "url",
                        f"{url or 'the feed'} took more than {self.deadline_s:g} s to read "
                        "and was stopped",
                    )
                answer = conn.recv()
            except (EOFError, OSError):  # the child died (out of memory, killed)
                self._stop()
                raise InvalidInput("url", f"{url or 'the feed'} could not be read") from None
        if answer[0] == "ok":
            parsed: ParsedFeed = answer[1]
            return parsed
        if answer[0] == "invalid":
            raise InvalidInput(answer[1], answer[2])
        raise InvalidInput("url", f"{url or 'the feed'} could not be read as a feed ({answer[1]})")

    def close(self) -> None:
        """Stop the child and the waiting thread."""
        with self._lock:
            self._stop()
        self._executor.shutdown(wait=False, cancel_futures=True)


_shared: ParseWorker | None = None


def shared_worker() -> ParseWorker:
    """The process's parser (its child starts on first use and ends with the process)."""
    global _shared
    if _shared is None:
        _shared = ParseWorker()
        atexit.register(_shared.close)
    return _shared


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
    )
