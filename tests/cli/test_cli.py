"""The installed `briefbot` console script, run as an operator would run it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.core import maintenance


def _script() -> str:
    beside = Path(sys.executable).with_name("briefbot")
    found = str(beside) if beside.exists() else shutil.which("briefbot")
    assert found, "the briefbot console script is not installed (pip install -e .)"
    return found


BRIEFBOT = _script()
ENV_NAMES = (
    "DISCORD_TOKEN",
    "TELEGRAM_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_EDITOR_IDS",
    "DATABASE_PATH",
    "DATABASE_URL",
    "EDITOR_IDS",
    "DEFAULT_TIMEZONE",
    "DEV_GUILD_ID",
    "TEMPLATES_DIR",
    "LOG_LEVEL",
)


class Cli:
    """Runs briefbot in a temporary folder against a database in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "data" / "cli.sqlite3"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
        env["DATABASE_PATH"] = str(self.db)
        env.update(extra)
        return env

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BRIEFBOT, *args],
            cwd=self.root,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(self.db) as conn:
            counts = {
                t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("developments", "sources", "revisions", "assessments")
            }
            counts["retracted"] = conn.execute(
                "SELECT COUNT(*) FROM developments WHERE status = 'retracted'"
            ).fetchone()[0]
        conn.close()
        return counts


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_brief_japan_korea_on_a_fresh_database(cli: Cli) -> None:
    out = cli.ok("brief", "japan-korea")
    assert "Japan–South Korea" in out
    assert "16 Mar 2023" in out and "Yoon Suk-yeol and Fumio Kishida hold a summit" in out
    assert "export inspections" in out
    assert "$80 billion" in out
    assert "13 Apr 2023" in out and "tourism" in out
    for source in ("Yonhap News Agency", "ANKASAM", "Korea JoongAng Daily"):
        assert source in out
    assert "SOURCES" in out and "[1]" in out
    assert cli.db.is_file()


def test_a_fresh_install_opens_japan_korea_with_the_articles_bottom_line(cli: Cli) -> None:
    out = cli.ok("brief", "japan-korea")
    head = out.split("KEY DEVELOPMENTS")[0]
    assert head.splitlines()[0] == "Japan–South Korea — ↑ improving"
    assert "more positive than ever" in head
    assert "No assessment" not in out
    assert "Based on: “The Deepening Relations in the North Pacific" in head
    assert "Yonhap News Agency" in head


def test_every_starter_assessment_cites_sources_of_the_dataset() -> None:
    from bot.core.dataset import read_starter

    data = read_starter()
    topics = {a["topic"] for a in data["assessments"]}
    assert {"trilateral", "japan-korea"} <= topics
    for item in data["assessments"]:
        assert "article" in item["sources"]
        assert set(item["sources"]) <= set(data["sources"])


def test_brief_options(cli: Cli) -> None:
    economy = cli.ok("brief", "korea-japan", "--domain", "economy", "--period", "all")
    assert "$80 billion" in economy and "tourism ministers" not in economy
    trilateral = cli.ok("brief", "trilateral")
    assert "improving" in trilateral and "WHAT TO WATCH" in trilateral
    # The real clock is years past the 2023 starter data: nothing in the last week.
    assert "Nothing recorded" in cli.ok("brief", "japan-korea", "--period", "7d")


BAD_ARGUMENTS: list[tuple[list[str], str]] = [
    (["brief", "atlantis"], "atlantis"),
    (["brief", "japan-korea", "--period", "5d"], "period"),
    (["brief", "japan-korea", "--domain", "sports"], "domain"),
    (["timeline", "japan-korea", "--from", "2023-02-30"], "from"),
    (["development", "show", "abc"], "id"),
    (["search", "?!", "***", "--"], "query"),
    (["search", "summit", "--topic", "mars"], "mars"),
    (["import", "missing.json"], "missing.json"),
    (["export", "out.xml"], "file"),
    (["db", "restore", "nowhere.sqlite3"], "nowhere"),
    (["frobnicate"], "invalid choice"),
]


def _run_all(cli: Cli, calls: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run independent invocations side by side (none of them may write anything)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: cli(*args), calls))


def test_bad_arguments_leave_no_database(cli: Cli) -> None:
    results = _run_all(cli, [args for args, _ in BAD_ARGUMENTS])
    for (_, word), result in zip(BAD_ARGUMENTS, results, strict=True):
        one_line_error(result, word)
    assert not cli.db.exists()
    assert not cli.db.parent.exists()


def test_bad_arguments_leave_the_database_unchanged(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    before = cli.db.read_bytes()
    listing = sorted(p.name for p in cli.db.parent.iterdir())
    results = _run_all(cli, [args for args, _ in BAD_ARGUMENTS])
    for (_, word), result in zip(BAD_ARGUMENTS, results, strict=True):
        one_line_error(result, word)
    assert cli.db.read_bytes() == before
    assert sorted(p.name for p in cli.db.parent.iterdir()) == listing


def test_run_without_token_names_it(cli: Cli) -> None:
    one_line_error(cli("run"), "DISCORD_TOKEN")
    one_line_error(cli("run", env=cli.env(DISCORD_TOKEN="  ")), "DISCORD_TOKEN")
    line = one_line_error(cli("run", env=cli.env(TELEGRAM_TOKEN=" ")), "TELEGRAM_TOKEN")
    assert "DISCORD_TOKEN, TELEGRAM_TOKEN or both" in line
    assert not cli.db.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EDITOR_IDS", "abc"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
        ("DEV_GUILD_ID", "12"),
        ("TEMPLATES_DIR", "no-such-folder"),
        ("TELEGRAM_API_URL", "localhost:8081/bot"),
        ("TELEGRAM_EDITOR_IDS", "12,abc"),
    ],
)
@pytest.mark.parametrize("command", [["brief", "japan-korea"], ["run"]])
def test_invalid_environment_names_the_variable(
    cli: Cli, name: str, value: str, command: list[str]
) -> None:
    line = one_line_error(cli(*command, env=cli.env(**{name: value})), name)
    assert line.startswith(f"briefbot: {name}:")
    assert not cli.db.exists()


def test_dotenv_in_the_working_folder_is_read(cli: Cli) -> None:
    (cli.root / ".env").write_text("LOG_LEVEL=LOUD\n", encoding="utf-8")
    one_line_error(cli("check"), "LOG_LEVEL")
    (cli.root / ".env").write_text("DEFAULT_TIMEZONE=Asia/Seoul\n", encoding="utf-8")
    assert "time zone Asia/Seoul" in cli.ok("check")


def test_broken_override_template_fails_loudly(cli: Cli) -> None:
    overrides = cli.root / "overrides"
    (overrides / "terminal").mkdir(parents=True)
    (overrides / "terminal" / "timeline.j2").write_text("{{ timeline.no_such_field }}")
    env = cli.env(TEMPLATES_DIR=str(overrides))
    broken = cli("timeline", "japan-korea", env=env)
    assert broken.returncode == 1 and broken.stdout == ""
    assert "unexpected error" in broken.stderr.strip().splitlines()[-1]
    # The other templates still come from the bundle.
    fine = cli("search", "summit", env=env)
    assert fine.returncode == 0 and "«summit»" in fine.stdout


def test_check_reports_integrity(cli: Cli) -> None:
    out = cli.ok("check")
    assert "integrity ok" in out
    assert "token: not set" in out
    assert "config: ok" in out


def test_db_migrate(cli: Cli) -> None:
    assert "schema version" in cli.ok("db", "migrate")
    assert cli.db.is_file()


def test_read_commands(cli: Cli) -> None:
    timeline = cli.ok("timeline", "japan-korea", "--from", "2023-04")
    assert "13 Apr 2023" in timeline and "14 Apr 2023" in timeline
    assert "16 Mar 2023" not in timeline
    search = cli.ok("search", "summit")
    assert "Yoon Suk-yeol and Fumio Kishida hold a «summit» in Tokyo" in search
    assert "no match" in cli.ok("search", "zzzqqq").lower()
    show = cli.ok("development", "show", "1")
    assert show.startswith("#1 · ") and "Sources:" in show and "JoongAng" in show
    history = cli.ok("development", "history", "1")
    assert "1. import" in history and "starter dataset" in history
    missing = cli("development", "show", "999")
    one_line_error(missing, "#999")


def _import_file(path: Path) -> None:
    path.write_text(
        json.dumps(
            {
                "developments": [
                    {
                        "title": "An operator's addition",
                        "summary": "Imported from a file.",
                        "date": "2023-04-28",
                        "countries": ["JP", "KR"],
                        "domain": "economy",
                        "sources": [{"title": "A citation"}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )


def test_an_import_runs_at_a_lower_cpu_priority_than_the_bot(cli: Cli) -> None:
    """A large import beside the running bot must not slow its answers: the import process
    lowers its own priority (and only once, however many files it imports)."""
    cli.ok("brief", "trilateral")
    _import_file(cli.root / "new.json")
    code = (
        "import asyncio, os, sys; from pathlib import Path; from bot.core import maintenance\n"
        "before = os.nice(0)\n"
        "asyncio.run(maintenance.import_file(Path(sys.argv[1]), Path(sys.argv[2])))\n"
        "maintenance.yield_cpu_to_the_bot()\n"
        "print(before, os.nice(0))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(cli.db), str(cli.root / "new.json")],
        capture_output=True, text=True, check=True, cwd=cli.root,
    )  # fmt: skip
    before, after = map(int, out.stdout.split())
    assert after == min(before + maintenance.IMPORT_NICENESS, 19)  # 19: the lowest there is


def test_backup_then_restore(cli: Cli) -> None:
    cli.ok("brief", "trilateral")  # creates the database with the starter dataset
    backup = cli.root / "backups" / "before.sqlite3"
    backup.parent.mkdir()
    assert "backed up" in cli.ok("db", "backup", str(backup))
    original = cli.counts()
    _import_file(cli.root / "new.json")
    assert "imported 1 development and " in cli.ok("import", "new.json")
    assert cli.counts()["developments"] == original["developments"] + 1
    assert "restored" in cli.ok("db", "restore", str(backup))
    assert cli.counts() == original
    assert "integrity ok" in cli.ok("check")
    assert "An operator's addition" not in cli.ok("search", "operator")


CRASHING_WRITER = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.execute("UPDATE developments SET title = 'written just before a crash'")
os._exit(0)  # no checkpoint: the write stays in the -wal file
"""


def test_restore_after_a_crash_ignores_the_old_wal(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    backup = cli.root / "backup.sqlite3"
    cli.ok("db", "backup", str(backup))
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(cli.db)], check=True)
    assert Path(f"{cli.db}-wal").exists()
    cli.ok("db", "restore", str(backup))
    assert "written just before a crash" not in cli.ok("development", "show", "1")
    assert "integrity ok" in cli.ok("check")


def test_restore_refuses_a_non_database(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    before = cli.counts()
    junk = cli.root / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = cli("db", "restore", str(junk))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"briefbot: {junk} is not a briefbot backup: it is not a SQLite database"
    ]
    assert cli.counts() == before


def _export(cli: Cli, name: str) -> dict[str, Any]:
    cli.ok("export", name)
    path = cli.root / name
    if path.suffix == ".json":
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    else:
        from bot.core.transfer import from_csv

        data = from_csv(path.read_text(encoding="utf-8"))
    data.pop("exported_at", None)
    return data


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_export_import_round_trip(cli: Cli, tmp_path: Path, suffix: str) -> None:
    cli.ok("brief", "trilateral")  # creates the database with the starter dataset
    _import_file(cli.root / "extra.json")
    cli.ok("import", "extra.json")
    first = _export(cli, f"first{suffix}")
    assert len(first["developments"]) == 13

    other = Cli(tmp_path)
    other.db = tmp_path / "data" / "other.sqlite3"
    out = other.ok("import", f"first{suffix}")
    assert "imported 13 developments and 3 assessments" in out
    assert _export(other, f"second{suffix}") == first
    assert other.counts() == cli.counts()
    # Importing the same file again is a conflict and changes nothing.
    before = other.db.read_bytes()
    conflict = other("import", f"first{suffix}")
    one_line_error(conflict, "already")
    assert other.db.read_bytes() == before


def test_import_of_an_invalid_file_changes_nothing(cli: Cli) -> None:
    cli.ok("brief", "trilateral")
    before = cli.counts()
    _import_file(cli.root / "bad.json")
    doc = json.loads((cli.root / "bad.json").read_text(encoding="utf-8"))
    doc["developments"].append(doc["developments"][0] | {"date": "2023-02-30"})
    (cli.root / "bad.json").write_text(json.dumps(doc), encoding="utf-8")
    one_line_error(cli("import", "bad.json"), "development 2 date")
    assert cli.counts() == before


def test_timeline_chart_is_written_as_a_png(cli: Cli) -> None:
    from tests.core.test_chart import png_size

    out = cli.ok("timeline", "japan-korea", "--chart", "jk.png")
    assert "Chart written to jk.png" in out and "10 developments" in out
    assert png_size((cli.root / "jk.png").read_bytes()) == (1000, 460)


@pytest.mark.parametrize(
    ("path", "words"),
    [("jk.jpg", "must be a file name ending in .png"), ("no/such/jk.png", "does not exist")],
)
def test_a_bad_chart_path_is_one_line_and_writes_nothing(cli: Cli, path: str, words: str) -> None:
    one_line_error(cli("timeline", "japan-korea", "--chart", path), "chart", words)
    assert not (cli.root / path).exists()
