"""`/digest preview` and `/digest sendnow` on Telegram: headed with the days the content
covers in the chat's zone, and a preview in the chat's language, as the chat will get it."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers import FixedClock
from tests.telegram.conftest import ADMIN_TG, GROUP, MEMBER_TG, Running


async def test_sendnow_at_10_40_in_seoul_is_headed_with_monday(
    tg: Running, clock: FixedClock
) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 09:00 Asia/Seoul")
    await fake.wait_sent(MEMBER_TG)
    clock.now = datetime(2023, 5, 1, 1, 40, tzinfo=UTC)  # Monday 10:40 in Seoul
    fake.message(MEMBER_TG, MEMBER_TG, "/digest preview")
    fake.message(MEMBER_TG, MEMBER_TG, "/digest sendnow")
    await fake.wait_for(lambda: any("Sent the digest" in t for t in fake.texts(MEMBER_TG)))
    digests = [t for t in fake.texts(MEMBER_TG) if "daily digest" in t]
    assert len(digests) == 2  # the preview, then what the chat got
    for digest in digests:
        assert digest.splitlines()[1].startswith("Monday 1 May 2023 · "), digest


async def test_a_preview_in_a_chat_set_to_korean_is_korean(tg: Running) -> None:
    fake = tg.fake
    fake.members[(GROUP, ADMIN_TG)] = "administrator"
    fake.message(GROUP, ADMIN_TG, "/settings language ko")
    fake.message(GROUP, ADMIN_TG, "/subscribe japan-korea daily 10:00 UTC")
    await fake.wait_sent(GROUP, 2)
    fake.message(GROUP, ADMIN_TG, "/digest preview")  # the administrator reads English
    (preview,) = await fake.wait_sent(ADMIN_TG)
    assert preview.plain.startswith("🗞️ Trilateral Brief — 일간 다이제스트"), preview.plain
    fake.message(GROUP, ADMIN_TG, "/digest sendnow")
    await fake.wait_for(lambda: any("일간 다이제스트" in t for t in fake.texts(GROUP)))
    posted = next(t for t in fake.texts(GROUP) if "일간 다이제스트" in t)
    assert preview.plain.splitlines()[:3] == posted.splitlines()[:3]
