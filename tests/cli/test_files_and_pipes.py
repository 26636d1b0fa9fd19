"""Files the command line writes, the database it names, and output cut short by a pipe."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import BRIEFBOT, Cli, one_line_error


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_export_into_a_missing_folder_is_refused_and_creates_nothing(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    line = one_line_error(cli("export", "nowhere/dir/x.json"), "file", "folder", "does not exist")
    assert "nowhere" in line
    assert not (cli.root / "nowhere").exists()


def test_backup_never_overwrites_a_file_without_force(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    kept = cli.root / "keep.sqlite3"
    kept.write_text("an older backup the operator wants to keep")
    one_line_error(cli("db", "backup", "keep.sqlite3"), "keep.sqlite3 already exists", "--force")
    assert kept.read_text() == "an older backup the operator wants to keep"
    assert "backed up" in cli.ok("db", "backup", "keep.sqlite3", "--force")
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT COUNT(*) FROM developments").fetchone()[0] > 0
    conn.close()
    one_line_error(cli("db", "backup", "missing/b.sqlite3"), "folder", "does not exist")
    one_line_error(cli("db", "backup", str(cli.db), "--force"), "is the database itself")
    assert not (cli.root / "missing").exists()


def test_check_names_the_database_by_its_absolute_path(cli: Cli) -> None:
    done = cli("check", env=cli.env(DATABASE_PATH="data/relative.sqlite3"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"database {(cli.root / 'data' / 'relative.sqlite3').resolve()}," in out


@pytest.mark.parametrize(
    "args",
    [("brief", "us-korea"), ("timeline", "japan-korea"), ("check",)],
)
def test_output_into_a_closed_pipe_ends_quietly(cli: Cli, args: tuple[str, ...]) -> None:
    """`briefbot brief us-korea | head -20`: the reader is gone before all was written."""
    cli.ok("db", "migrate")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `head` after its lines: every write now fails with EPIPE
    try:
        done = subprocess.run(
            [BRIEFBOT, *args],
            cwd=cli.root,
            env=cli.env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == "" and done.returncode == 0, done.stderr[-2000:]
