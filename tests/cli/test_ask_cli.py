"""`briefbot ask`: the terminal answer, `--json` with the issue's exact shape, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.ask.semantic import semantic_available
from tests.cli.test_cli import Cli, one_line_error

# Run again in CI's second step, with the semantic extra installed.
pytestmark = pytest.mark.semantic


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_ask_prints_the_answer_and_what_it_rests_on(cli: Cli) -> None:
    out = cli.ok("ask", "Did Japan lift the export controls on Korea?")
    assert out.startswith("Question — Did Japan lift the export controls on Korea?")
    answer, based_on = out.split("BASED ON")
    assert "Tokyo lifted the additional inspections" in answer and "Mar 2023, #4" in answer
    assert "Japan lifts the additional export inspections" in based_on
    assert "Yonhap News Agency" in based_on


def test_ask_json_is_one_object_best_citation_first(cli: Cli) -> None:
    out = cli.ok("ask", "--json", "日本は韓国への輸出規制を解除したか")
    shown = json.loads(out)
    assert set(shown) == {"answer", "confident", "citations"}
    assert shown["confident"] is True
    assert "Tokyo lifted" in shown["answer"]
    first = shown["citations"][0]
    assert set(first) == {"id", "title", "date", "sources"}
    assert (first["id"], first["date"]) == (4, "2023-03")
    assert {s["publisher"] for s in first["sources"]} >= {"Yonhap News Agency"}


def test_ask_json_when_nothing_answers(cli: Cli) -> None:
    shown = json.loads(cli.ok("ask", "--json", "Who won the 2022 FIFA World Cup?"))
    assert shown == {"answer": None, "confident": False, "citations": []}


def test_an_unanswerable_question_suggests_search(cli: Cli) -> None:
    out = cli.ok("ask", "What is the weather in Tokyo tomorrow?")
    assert "Nothing in the catalogue answers this question." in out
    assert "briefbot search" in out


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["ask"], "question"),
        (["ask", "?!", "***"], "question"),
        (["ask", "--reindex", "why?"], "reindex"),
    ],
)
def test_bad_questions_get_one_line_and_exit_2(cli: Cli, args: list[str], word: str) -> None:
    one_line_error(cli(*args), word)
    assert not cli.db.exists()  # refused before the database was opened


@pytest.mark.skipif(semantic_available(), reason="the semantic extra is installed here")
def test_reindex_without_the_extra_says_how_to_get_it(cli: Cli) -> None:
    one_line_error(cli("ask", "--reindex"), "pip install -e '.[semantic]'")
