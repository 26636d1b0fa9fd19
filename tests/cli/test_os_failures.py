"""Reads beside a busy writer, OS failures and impossible ids: one line, the right exit
code, and nothing half-written left behind."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.test_cli import BRIEFBOT, Cli, one_line_error

BUSY = "briefbot: the database is busy (another briefbot is writing); try again"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    c = Cli(tmp_path)
    c.ok("brief", "trilateral")  # creates the database with the starter dataset
    return c


def _one_line(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_reads_answer_while_another_process_writes(cli: Cli) -> None:
    writer = sqlite3.connect(cli.db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for args in (("brief", "trilateral"), ("search", "summit"), ("development", "show", "1")):
            result = cli(*args)
            assert result.returncode == 0, result.stderr
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_write_behind_another_writer_says_busy(cli: Cli) -> None:
    (cli.root / "one.json").write_text(json.dumps({"developments": []}), encoding="utf-8")
    writer = sqlite3.connect(cli.db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = cli("import", "one.json")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [BUSY]


def _without_root_override(*args: str) -> list[str]:
    """The command, run so that file permissions bind (root ignores them otherwise)."""
    if os.geteuid() != 0:
        return list(args)
    capsh = shutil.which("capsh")
    if capsh is None:
        pytest.skip("running as root without capsh: cannot make a file read-only to root")
    return [capsh, "--drop=cap_dac_override", "--", "-c", 'exec "$@"', "_", *args]


def test_a_read_only_database_still_answers_reads(cli: Cli) -> None:
    before = cli.db.read_bytes()
    cli.db.chmod(0o444)
    cli.db.parent.chmod(0o555)
    try:
        for args in (("brief", "trilateral"), ("search", "summit"), ("development", "show", "2")):
            result = subprocess.run(
                _without_root_override(BRIEFBOT, *args),
                cwd=cli.root,
                env=cli.env(),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert result.stdout
    finally:
        cli.db.parent.chmod(0o755)
        cli.db.chmod(0o644)
    assert cli.db.read_bytes() == before


def test_database_path_that_is_a_folder(cli: Cli) -> None:
    folder = cli.root / "somewhere"
    folder.mkdir()
    result = cli("brief", "trilateral", env=cli.env(DATABASE_PATH=str(folder)))
    _one_line(result, 2, str(folder), "folder")


def test_database_path_under_a_file(cli: Cli) -> None:
    blocker = cli.root / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    path = blocker / "db.sqlite3"
    result = cli("brief", "trilateral", env=cli.env(DATABASE_PATH=str(path)))
    _one_line(result, 2, str(path))


@pytest.mark.parametrize("command", ["export", "backup"])
def test_writing_under_a_file_is_one_line(cli: Cli, command: str) -> None:
    blocker = cli.root / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "out.json"
    args = ("export", str(target)) if command == "export" else ("db", "backup", str(target))
    # Refused as a bad argument before anything is opened or written.
    _one_line(cli(*args), 2, str(blocker), "is a file, not a folder")
    assert blocker.read_text(encoding="utf-8") == "x"


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        # A file-size limit fails writes past `limit` bytes with EFBIG, like a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _limited(cli: Cli, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BRIEFBOT, *args],
        cwd=cli.root,
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_file_size_limit(limit),
    )


def _big_import(path: Path, count: int = 400) -> None:
    big = {
        "developments": [
            {
                "title": f"Filler development {n}",
                "summary": "A long summary. " * 60,
                "date": "2023-03-16",
                "countries": ["JP", "KR"],
                "domain": "economy",
                "sources": [{"title": "A citation"}],
            }
            for n in range(count)
        ]
    }
    path.write_text(json.dumps(big), encoding="utf-8")


# SQLite's shared-memory file needs 32 KiB; the files written here need far more.
LIMIT = 40_000


@pytest.mark.parametrize("name", ["out.json", "out.csv"])
def test_export_on_a_full_disk_keeps_the_earlier_file(cli: Cli, name: str) -> None:
    cli.ok("export", name)
    earlier = (cli.root / name).read_bytes()
    _big_import(cli.root / "big.json")
    cli.ok("import", "big.json")
    _one_line(_limited(cli, LIMIT, "export", name), 1, name)
    assert (cli.root / name).read_bytes() == earlier
    assert not (cli.root / f"{name}.partial").exists()


def test_backup_on_a_full_disk_keeps_the_earlier_backup(cli: Cli) -> None:
    cli.ok("db", "backup", "backup.sqlite3")
    earlier = (cli.root / "backup.sqlite3").read_bytes()
    result = _limited(cli, LIMIT, "db", "backup", "backup.sqlite3", "--force")
    _one_line(result, 1)
    assert (cli.root / "backup.sqlite3").read_bytes() == earlier
    assert not (cli.root / "backup.sqlite3.partial").exists()


def test_import_on_a_full_disk_changes_nothing(cli: Cli) -> None:
    before = cli.counts()
    _big_import(cli.root / "big.json")
    size = cli.db.stat().st_size
    result = _limited(cli, size + 64 * 1024, "import", "big.json")
    line = _one_line(result, 1)
    assert "no transaction is active" not in line
    assert cli.counts() == before
    assert "integrity ok" in cli.ok("check")


@pytest.mark.parametrize(
    "args",
    [
        ["brief", "trilateral", "--guild", "99999999999999999999999"],
        ["search", "summit", "--guild", "-5"],
        ["digest", "preview", "--channel", "99999999999999999999999"],
    ],
)
def test_ids_too_large_for_sqlite_are_refused(cli: Cli, args: list[str]) -> None:
    one_line_error(cli(*args), "Discord id")


def test_editor_ids_with_unicode_digits(cli: Cli) -> None:
    result = cli("brief", "trilateral", env=cli.env(EDITOR_IDS="²²²²²²²²²²²²²²²²²²"))
    one_line_error(result, "EDITOR_IDS")


def test_a_dotenv_that_is_not_utf8(cli: Cli) -> None:
    (cli.root / ".env").write_bytes(b"DEFAULT_TIMEZONE=Asia/Seoul\nNAME=\xff\xfe caf\xe9\n")
    one_line_error(cli("brief", "trilateral"), ".env", "UTF-8")


def _run_bound(cli: Cli, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """briefbot with file permissions binding even for root."""
    return subprocess.run(
        _without_root_override(BRIEFBOT, *args),
        cwd=cli.root,
        env=cli.env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", ["export", "backup"])
def test_writing_into_a_read_only_folder_is_one_line(cli: Cli, command: str) -> None:
    locked = cli.root / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    target = locked / "out.json"
    args = ("export", str(target)) if command == "export" else ("db", "backup", str(target))
    try:
        result = _run_bound(cli, *args)
    finally:
        locked.chmod(0o755)
    _one_line(result, 1, str(locked))
    assert list(locked.iterdir()) == []


def test_database_folder_that_cannot_be_created(cli: Cli) -> None:
    locked = cli.root / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    path = locked / "data" / "db.sqlite3"
    try:
        result = _run_bound(cli, "brief", "trilateral", DATABASE_PATH=str(path))
    finally:
        locked.chmod(0o755)
    _one_line(result, 1, str(path), "cannot create its folder")
