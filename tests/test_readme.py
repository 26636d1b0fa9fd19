"""The README says what the code does: its command-line block matches `briefbot --help`, its
configuration table names every variable the configuration reads, and its Telegram command
list is the list /help and the command menus show."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from bot.cli import build_parser
from bot.telegram.menu import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The README's text under `heading` up to the next heading of the same level or above."""
    level = heading.split(" ", 1)[0]
    start = README.index(heading + "\n") + len(heading)
    following = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE)
    end = following.search(README, start)
    return README[start : end.start() if end else len(README)]


def command_line_blocks() -> str:
    """Every ``` block of the README that shows `briefbot` commands."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", README, re.DOTALL | re.MULTILINE)
    return "\n".join(b for b in blocks if b.lstrip().startswith("briefbot "))


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """(the words of a command, its long options) for every command `briefbot --help` has."""
    children = _subparsers(parser)
    options = [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in ("--help", "--version")
    ]
    if path:
        yield path, options
    for name, child in children.items():
        yield from commands(child, (*path, name))


def test_the_command_line_block_lists_every_command_and_option_of_briefbot_help() -> None:
    block = command_line_blocks()
    lines = block.splitlines()
    for words, options in commands(build_parser()):
        top = words[0]
        mine = [line for line in lines if line.startswith(f"briefbot {top} ")]
        mine += [line for line in lines if line.strip() == f"briefbot {top}"]
        assert mine, f"briefbot {top} is missing from the README's command line"
        text = " ".join(mine)
        for word in words[1:]:
            assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), (
                f"briefbot {' '.join(words)} is missing from the README's command line"
            )
        for option in options:
            assert option in text, f"briefbot {' '.join(words)} {option} is missing"


def test_run_is_described_as_both_platforms() -> None:
    run = next(
        line for line in command_line_blocks().splitlines() if line.startswith("briefbot run")
    )
    assert "Discord" in run and "Telegram" in run


def test_the_configuration_table_names_every_variable_the_configuration_reads() -> None:
    config = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'(?:get|_flag)\("([A-Z][A-Z_]+)"', config))
    assert {"DISCORD_TOKEN", "FEEDS_ALLOW_PRIVATE"} <= variables  # the pattern still finds them
    table = section("## Configuration")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.MULTILINE))
    assert variables <= documented, sorted(variables - documented)


def test_the_telegram_command_list_is_the_one_help_shows() -> None:
    listed = set(re.findall(r"`/([a-z]+)", section("### Telegram commands")))
    shown = {c.name for c in COMMANDS} | {"start"}
    assert listed == shown


def test_telegram_is_not_a_later_plan() -> None:
    assert "later, Telegram" not in README and "Telegram comes later" not in README
