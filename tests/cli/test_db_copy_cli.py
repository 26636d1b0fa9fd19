"""`briefbot db copy --to postgresql://…` as an operator runs it: a line per table, one
summary, the password never shown; a bad URL or a database in use is one line, exit 2."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.postgres import ThrowawayCluster
from tests.cli.test_cli import Cli, one_line_error

_names = itertools.count(1)
PASSWORD = "s3cret-Pw"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def pg_url(postgres_cluster: ThrowawayCluster) -> str:
    """A new, empty database, its URL with a password in it (the test cluster trusts local
    connections, so any password is accepted and never checked)."""
    url = postgres_cluster.create_database(f"cli_copy_{next(_names)}")
    parts = urlsplit(url)
    return url.replace(f"{parts.username}@", f"{parts.username}:{PASSWORD}@", 1)


def test_a_copy_reports_each_table_then_refuses_a_second_time(cli: Cli, pg_url: str) -> None:
    cli.ok("brief", "japan-korea")  # a database with the starter dataset
    result = cli("db", "copy", "--to", pg_url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert PASSWORD not in out + result.stderr
    lines = out.strip().splitlines()
    assert "  developments: " in out and "  revisions: " in out and "  feeds: 0 rows" in out
    assert "  export: identical" in lines
    assert lines[-1].startswith(f"copied {cli.db} to postgresql://")
    assert "row counts and export checked" in lines[-1]
    assert cli.root.joinpath("data").is_dir()

    again = cli("db", "copy", "--to", pg_url)
    line = one_line_error(again, "is not empty", "Nothing was copied")
    assert PASSWORD not in line


@pytest.mark.parametrize(
    "url",
    [f"mysql://u:{PASSWORD}@db/x", f"postgresql://u:{PASSWORD}@db:port/x", "not a url"],
)
def test_a_bad_url_is_one_line_without_the_password(cli: Cli, url: str) -> None:
    cli.ok("brief", "japan-korea")
    line = one_line_error(cli("db", "copy", "--to", url), "--to")
    assert PASSWORD not in line


def test_a_server_that_does_not_answer_is_one_line_without_the_password(cli: Cli) -> None:
    cli.ok("brief", "japan-korea")
    result = cli("db", "copy", "--to", f"postgresql://u:{PASSWORD}@127.0.0.1:1/x")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot connect" in result.stderr and PASSWORD not in result.stderr


def test_import_and_export_run_on_postgresql_with_database_url(
    cli: Cli, pg_url: str, tmp_path: Path
) -> None:
    cli.ok("brief", "japan-korea")
    exported = tmp_path / "all.json"
    cli.ok("export", str(exported))
    on_pg = cli.env(DATABASE_URL=pg_url)
    result = cli("import", str(exported), env=on_pg)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 12 developments and 3 assessments")
    again = tmp_path / "again.json"
    assert cli("export", str(again), env=on_pg).returncode == 0

    def without_stamp(path: Path) -> dict[str, object]:
        doc: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        doc.pop("exported_at")
        return doc

    assert without_stamp(again) == without_stamp(exported)
    # The same file again clashes with the ids now taken: one line, nothing added.
    line = one_line_error(cli("import", str(exported), env=on_pg), "already in this database")
    assert PASSWORD not in line
