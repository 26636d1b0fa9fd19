"""Whether a delivery owner is alive is asked of the kernel through a lock file beside the
database's real path; a missing file is unknown, never dead, and the running process
registers again when its file disappears."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.digests.liveness import Liveness

ROOT = Path(__file__).resolve().parents[3]

#: Another process: registers an owner on the database path it is given, then refreshes its
#: registration whenever the test writes a line (what its next sweep does).
_OWNER = """
import sys
from pathlib import Path
from bot.core.digests.liveness import Liveness

liveness = Liveness.beside(Path(sys.argv[1]))
liveness.register("other")
print("ready", flush=True)
for _line in sys.stdin:
    liveness.refresh()
    print("refreshed", flush=True)
"""


class Owner:
    """A running process holding the owner id "other"."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def expect(self, word: str) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        assert line.decode().strip() == word

    async def refresh(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"sweep\n")
        await self.proc.stdin.drain()
        await self.expect("refreshed")


async def _owner(database: Path) -> AsyncIterator[Owner]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _OWNER,
        str(database),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    owner = Owner(proc)
    try:
        await owner.expect("ready")
        yield owner
    finally:
        proc.kill()
        await proc.wait()


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Path]:
    """A shared database, and the path a release directory reaches it by (a symlink)."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "bot.sqlite3").touch()
    current = tmp_path / "releases" / "2026-12-01"
    current.mkdir(parents=True)
    (current / "bot.sqlite3").symlink_to(shared / "bot.sqlite3")
    return shared / "bot.sqlite3", current / "bot.sqlite3"


async def test_two_paths_to_one_database_see_one_another_alive(
    release: tuple[Path, Path],
) -> None:
    real, linked = release
    async for _owner_process in _owner(linked):
        assert Liveness.beside(real).alive("other") is True
    assert Liveness.beside(real).alive("other") is False  # its process is gone


async def test_a_removed_folder_is_unknown_and_the_owner_registers_again(
    release: tuple[Path, Path],
) -> None:
    real, _linked = release
    async for owner in _owner(real):
        here = Liveness.beside(real)
        assert here.alive("other") is True
        assert here.directory is not None
        shutil.rmtree(here.directory)  # an operator, or a tmp cleaner
        assert here.alive("other") is None  # unknown, never dead
        await owner.refresh()  # its next sweep
        assert here.alive("other") is True
