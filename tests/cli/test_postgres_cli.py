"""The `briefbot` console script with `DATABASE_URL`: every command an operator runs against
a PostgreSQL database (a throwaway cluster of this test run), and the file-only ones
(`db backup`, `db restore`) refusing in one line with the server's own tools to use."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from harness.postgres import ThrowawayCluster
from tests.cli.test_cli import Cli, one_line_error
from tests.cli.test_feeds_cli import run, server  # noqa: F401 (the feed server fixture)
from tests.feeds.server import FeedServer

_names = itertools.count(1)
# Trust authentication ignores it; it is here to be sure no output ever shows it.
PASSWORD = "pg-s3cret-word"


class PgCli(Cli):
    """`Cli` with DATABASE_URL set to a fresh database (and DATABASE_PATH left to show
    it is not used)."""

    def __init__(self, root: Path, url: str) -> None:
        super().__init__(root)
        self.url = url

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(DATABASE_URL=self.url, **extra)


@pytest.fixture
def pg_cli(tmp_path: Path, postgres_cluster: ThrowawayCluster) -> PgCli:
    url = postgres_cluster.create_database(f"cli_{next(_names)}")
    return PgCli(tmp_path, url.replace("briefbot@", f"briefbot:{PASSWORD}@"))


def _redacted(url: str) -> str:
    return url.replace(f":{PASSWORD}@", "@")


def test_reads_check_and_migrate_run_on_postgresql(pg_cli: PgCli) -> None:
    brief = pg_cli.ok("brief", "japan-korea")  # the first command loads the starter dataset
    assert "Yoon Suk-yeol and Fumio Kishida" in brief
    search = pg_cli.ok("search", "summit")
    assert "Yoon Suk-yeol and Fumio Kishida hold a «summit» in Tokyo" in search
    timeline = pg_cli.ok("timeline", "japan-korea", "--from", "2023-04")
    assert "13 Apr 2023" in timeline and "16 Mar 2023" not in timeline
    assert "JoongAng" in pg_cli.ok("development", "show", "1")
    assert "starter dataset" in pg_cli.ok("development", "history", "1")
    migrated = pg_cli.ok("db", "migrate")
    assert f"database {_redacted(pg_cli.url)} is at schema version" in migrated
    check = pg_cli.ok("check")
    assert f"database {_redacted(pg_cli.url)} (DATABASE_URL wins" in check
    assert "global and" in check and "server developments published" in check
    assert "integrity not applicable on PostgreSQL" in check
    # Nothing was written beside: the SQLite file of DATABASE_PATH was never created.
    assert not pg_cli.db.exists()


async def test_an_operator_adds_a_development_and_reads_exports_it(
    pg_cli: PgCli,
    server: FeedServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    code, out, err = await run(pg_cli, "feed", "add", server.url("yonhap"))
    assert code == 0, err
    assert "4 new candidates" in out
    code, listed, err = await run(pg_cli, "feed", "list")
    assert code == 0 and "— active" in listed, err
    code, queue, _ = await run(pg_cli, "queue", "list")
    assert queue.startswith("#1 ")
    code, out, err = await run(pg_cli, "queue", "approve", "1")
    assert code == 0 and out.startswith("approved candidate #1 as development #"), err
    dev_id = out.split("development #")[1].split(":")[0]
    code, found, err = await run(pg_cli, "search", "drills")
    assert code == 0 and f"#{dev_id}" in found, (found, err)
    code, shown, _ = await run(pg_cli, "development", "show", dev_id)
    assert "en.yna.co.kr" in shown
    code, out, err = await run(pg_cli, "export", str(tmp_path / "all.json"))
    assert code == 0 and out.startswith("exported "), err
    assert "drills" in (tmp_path / "all.json").read_text(encoding="utf-8")
    code, out, err = await run(pg_cli, "digest", "preview")
    assert code == 0, err
    assert not pg_cli.db.exists()


def test_backup_and_restore_name_pg_dump_and_change_nothing(pg_cli: PgCli) -> None:
    pg_cli.ok("brief", "trilateral")
    before = pg_cli.ok("export", "before.json")
    line = one_line_error(pg_cli("db", "backup", "nightly.dump"), "pg_dump", "nothing was changed")
    assert f"pg_dump --format=custom --file=nightly.dump {_redacted(pg_cli.url)}" in line
    assert not (pg_cli.root / "nightly.dump").exists()
    # Refused before any file check: the backup named need not exist.
    line = one_line_error(pg_cli("db", "restore", "nightly.dump"), "pg_restore")
    assert (
        "pg_restore --clean --if-exists --single-transaction "
        f"--dbname={_redacted(pg_cli.url)} nightly.dump"
    ) in line
    assert "stop every briefbot process" in line
    after = pg_cli.ok("export", "after.json")
    assert before.replace("before", "after") == after
    for result in (pg_cli("db", "backup", "x.dump"), pg_cli("db", "restore", "x.dump")):
        assert PASSWORD not in result.stdout + result.stderr


def test_an_unreachable_server_is_one_line_without_the_password(
    tmp_path: Path, postgres_cluster: ThrowawayCluster
) -> None:
    dead = f"postgresql://briefbot:{PASSWORD}@127.0.0.1:1/nowhere"
    result = PgCli(tmp_path, dead)("brief", "japan-korea")
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "postgresql://briefbot@127.0.0.1:1/nowhere: cannot connect" in lines[0]
    assert PASSWORD not in result.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://u:p@h/db", "is not a PostgreSQL URL"),
        (f"postgresql://u:{PASSWORD}@host:99999/db", "bad port"),
        (f"postgresql://u:{PASSWORD}@host:5432", "names no database"),
        (f"postgresql://u:{PASSWORD}@host:5432/", "names no database"),
    ],
)
def test_a_malformed_database_url_is_one_line_naming_it(
    tmp_path: Path, url: str, words: str
) -> None:
    result = PgCli(tmp_path, url)("brief", "japan-korea")
    line = one_line_error(result, "DATABASE_URL", words)
    assert line.startswith("briefbot: DATABASE_URL: ")
    assert PASSWORD not in line
    assert not (tmp_path / "data").exists()
