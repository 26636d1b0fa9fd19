"""`briefbot brief` starts cold in a fraction of a second: the brief path loads no heavy
library (chart drawing, feed parsing, chat clients, the scheduler) and none of the modules
only other commands use. Checked in a fresh interpreter, as the console script runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Top-level packages the brief path must not import, and our own modules it does not need.
HEAVY = (
    "matplotlib", "feedparser", "telegram", "discord", "apscheduler", "aiohttp", "numpy",
    "prometheus_client", "dotenv",  # python-dotenv only when a .env file exists
)  # fmt: skip
NOT_NEEDED = (
    "bot.core.digests.building",
    "bot.core.transfer",
    "bot.core.digests.delivery",
    "bot.discord.client",
    "bot.core.metrics",
    "bot.domain.feeds",
    "uuid",  # it loads `platform`: only the CLI's error path needs it
)

_PROBE = """
import json, sys
from bot import cli
code = cli.main(["brief", "japan-korea"])
from storage.sqlite import cjk_search
compiled = cjk_search._cjk.cache_info().currsize
print(json.dumps({"code": code, "modules": sorted(sys.modules), "cjk_compiled": compiled}))
"""


def test_the_brief_path_imports_no_heavy_library(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "TEMPLATES_DIR")}
    env |= {"DATABASE_PATH": str(tmp_path / "brief.sqlite3"), "PYTHONPATH": str(ROOT)}
    # The first run also creates the database with the starter dataset; the second is the
    # cold start of every run after it.
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert "Japan" in done.stdout  # the brief itself was printed
    loaded = set(report["modules"])
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert not loaded & set(NOT_NEEDED)
    assert report["cjk_compiled"] == 0  # its pattern takes ~2.5 ms to compile
