"""`.ci/run` makes the environment once: through the README's test command, run as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _code_lines(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _readme_line(finder: str) -> str:
    """The README line a `grep -m1 -E "…" README.md` line of .ci/run finds."""
    pattern = re.search(r'grep -m1 -E "(.+)" README\.md', finder)
    assert pattern is not None
    return subprocess.run(
        ["grep", "-m1", "-E", pattern[1], "README.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_ci_installs_once_through_the_readme_command() -> None:
    ci = _code_lines(ROOT / ".ci" / "run")
    own = [line for line in ci if "README.md" not in line]
    assert not [line for line in own if "-m venv" in line or "pip install" in line]
    # The README's commands, as .ci/run finds them: the first creates and installs, the
    # second adds the semantic extra to that environment and runs its tests.
    test_finder, semantic_finder = [line for line in ci if "README.md" in line]
    found = _readme_line(test_finder)
    assert found == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert found.count("pip install") == 1
    semantic = _readme_line(semantic_finder)
    assert semantic == (
        ".venv/bin/pip install -e '.[semantic]' && ASK_SEMANTIC_REQUIRED=1 "
        ".venv/bin/python -m pytest -m semantic"
    )
    assert ci.index(test_finder) < ci.index(semantic_finder)
