"""The throwaway PostgreSQL cluster the PostgreSQL half of the suite runs on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.postgres import ThrowawayCluster

ROOT = Path(__file__).resolve().parents[2]


def test_the_cluster_keeps_japanese_and_korean_text_whole(
    postgres_cluster: ThrowawayCluster,
) -> None:
    # Under the C locale lower() and text search treat CJK bytes as non-letters; the cluster
    # must be UTF-8 with a C.UTF-8 locale so search can index Japanese and Korean.
    url = postgres_cluster.create_database("cjk_check")
    assert url.endswith("/cjk_check")
    out = postgres_cluster.psql(
        "SELECT current_setting('server_encoding'), current_setting('lc_ctype'), "
        "lower('輸出規制 수출 규제 EXPORT')",
        database="cjk_check",
    )
    assert out.strip() == "UTF8|C.UTF-8|輸出規制 수출 규제 export"


def test_a_stopped_cluster_leaves_no_process_and_no_files() -> None:
    try:
        cluster = ThrowawayCluster().start()
    except Exception as exc:  # the session fixture decides skip/fail; this test needs both
        if os.environ.get("BRIEFBOT_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL half skipped: {exc}")
    pid = cluster.server_pid()
    assert pid is not None
    assert cluster.psql("SELECT 1").strip() == "1"
    cluster.stop()
    assert not cluster.root.exists()
    assert not _running(pid)


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie (a daemon's zombie waits for a
    parent that may never reap it in a container; it holds no port and no file)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_test_run_leaves_no_server_behind(tmp_path) -> None:
    # A run stopped by SIGKILL never tears its fixtures down: the server it started must
    # end with it.
    script = (
        "import sys, time\n"
        "from harness.postgres import ThrowawayCluster\n"
        "c = ThrowawayCluster().start()\n"
        "print(c.server_pid(), flush=True)\n"
        "time.sleep(60)\n"
    )
    starter = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert starter.stdout is not None
    line = starter.stdout.readline().strip()
    if not line.isdigit():
        starter.kill()
        starter.wait()
        if os.environ.get("BRIEFBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("the cluster did not start")
        pytest.skip("PostgreSQL half skipped: no server binaries")
    server = int(line)
    assert _running(server)
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + 15
    while _running(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(server)
