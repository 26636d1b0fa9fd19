"""The log filter masks tokens in any record that reaches the root handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.config import configure_logging
from bot.redaction import MASK, RedactSecrets

TELEGRAM = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
DISCORD = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhXyZa.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9"


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("INFO", secrets=("short-but-set",), stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_token_shapes_are_masked_in_third_party_records(log: io.StringIO) -> None:
    logging.getLogger("httpx").warning(
        'HTTP Request: POST https://api.telegram.org/bot%s/getMe "HTTP/1.1 200 OK"', TELEGRAM
    )
    logging.getLogger("discord.gateway").warning("IDENTIFY with %s", DISCORD)
    logging.getLogger("some.lib").warning("configured secret: short-but-set")
    text = log.getvalue()
    assert TELEGRAM not in text and DISCORD not in text and "short-but-set" not in text
    assert "/bot[REDACTED]/getMe" in text and text.count(MASK) == 3


def test_a_token_in_a_traceback_is_masked(log: io.StringIO) -> None:
    try:
        raise RuntimeError(f"The token `{TELEGRAM}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("failed")
    text = log.getvalue()
    assert "Traceback" in text and TELEGRAM not in text and MASK in text


def test_ordinary_text_is_left_alone() -> None:
    words = "schema 12:30 version 2026-12-07T09:00:00Z id 424242424242424242 a.b.c"
    assert RedactSecrets().redact(words) == words
