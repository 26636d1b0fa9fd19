"""Every inline button's callback_data is built by one helper that keeps the Bot API's
1–64 byte limit, so an over-long button fails in our code rather than at Telegram."""

from __future__ import annotations

import pytest

from bot.telegram.common import CALLBACK_DATA_MAX, callback_data


def test_callback_data_joins_its_parts() -> None:
    assert callback_data("tl", 1, "japan-korea", "2023-01-01", "") == "tl:1:japan-korea:2023-01-01:"


def test_callback_data_refuses_more_than_64_bytes() -> None:
    assert len(callback_data("x" * (CALLBACK_DATA_MAX - 2), "y").encode()) == CALLBACK_DATA_MAX
    with pytest.raises(ValueError, match="65 bytes"):
        callback_data("x" * (CALLBACK_DATA_MAX - 1), "y")
    with pytest.raises(ValueError, match="66 bytes"):
        callback_data("ａ" * 22)  # 22 full-width letters: 66 bytes in UTF-8
    with pytest.raises(ValueError, match="0 bytes"):
        callback_data("")
