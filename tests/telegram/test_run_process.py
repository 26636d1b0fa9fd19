"""`briefbot run` with only a Telegram token, as an operator runs it: a real process against
the fake Bot API answers commands, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from harness.fake_telegram import TOKEN, FakeTelegram
from harness.postgres import ThrowawayCluster
from tests.conftest import BACKENDS
from tests.telegram.conftest import MEMBER_TG

BRIEFBOT = str(Path(sys.executable).with_name("briefbot"))
PASSWORD = "run-s3cret-word"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_briefbot_run_serves_telegram_and_stops_on_sigterm(
    fake: FakeTelegram, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "TELEGRAM_", "DATABASE_", "EDITOR_"))
    }
    env |= {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
    }
    if backend == "postgresql":
        cluster: ThrowawayCluster = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database(f"run_{os.getpid()}_{id(fake)}")
        # Trust authentication ignores the password: it is there to be kept out of the log.
        env["DATABASE_URL"] = url.replace("briefbot@", f"briefbot:{PASSWORD}@")
    process = await asyncio.create_subprocess_exec(
        BRIEFBOT,
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.commands, timeout=60)
        fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea")
        (answer,) = await fake.wait_sent(MEMBER_TG, timeout=30)
        assert "Bottom line" in answer.plain
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()[-2000:]
    log = err.decode()
    assert TOKEN not in log  # httpx logs request URLs, which hold the token
    if backend == "sqlite":
        assert f"database {(tmp_path / 'bot.sqlite3').resolve()}" in log  # which file is used
        return
    # The URL without its password, and why DATABASE_PATH (also set) is not used.
    assert f"using database {url} (DATABASE_URL wins: DATABASE_PATH is set but not used)" in log
    assert PASSWORD not in log
    assert not (tmp_path / "bot.sqlite3").exists()
