"""CPU-bound pure work in a forked helper process, chunk by chunk, while this process goes on
(an import validates the next records there while it writes the previous ones). Threads
would not overlap: SQLite releases the GIL around each row it inserts, and a busy Python
thread keeps it waiting for the GIL at every one of them."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

# The job of the helper being started: a forked child inherits it (and the data it closes
# over) instead of receiving it pickled.
_job: Callable[[int, int], Any] | None = None


def _run(start: int, end: int) -> Any:
    assert _job is not None
    return _job(start, end)


#: prctl(2) option: the signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """In the helper: exit when `parent` dies. The helper inherits both ends of its task
    pipe, so it would never see end-of-file and would sleep forever as an orphan (an
    operator's `kill -9` of an import). Linux's parent-death signal ends it at once (it is
    tied to the forking thread: the pool forks from the caller's, the event loop's, thread);
    elsewhere a watcher thread notices the new parent."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before the signal was armed
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def can_fork() -> bool:
    """Whether this platform starts helpers by fork (Linux); elsewhere work stays inline."""
    return "fork" in multiprocessing.get_all_start_methods()


async def chunks_in_child(
    job: Callable[[int, int], Any], total: int, chunk: int
) -> AsyncGenerator[Any, None]:
    """`job(start, end)` for consecutive chunks of range(total), run in one forked helper
    process, yielded in order as they are ready. Results must pickle; the job need not."""
    global _job
    _job = job
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with,
        initargs=(os.getpid(),),
    )
    try:
        futures = [pool.submit(_run, s, min(s + chunk, total)) for s in range(0, total, chunk)]
        _job = None  # the helper has its copy
        for future in futures:
            yield await asyncio.wrap_future(future)
    finally:
        _job = None
        pool.shutdown(wait=False, cancel_futures=True)
