"""Telegram in Japanese and Korean: answers follow the sender's `language_code`, the command
menu is set per language, and a chat set to Korean (`/settings language ko`) gets Korean
digests. Content stays as written."""

from __future__ import annotations

import pytest

from tests.helpers import EDITOR, draft
from tests.telegram.conftest import ADMIN_TG, GROUP, MEMBER_TG, Running


@pytest.mark.parametrize(
    ("language", "title", "bottom_line"),
    [
        ("ja", "日米韓 — 📈 改善", "要点 · 2023年4月14日時点"),
        ("ko", "한미일 — 📈 개선", "요점 · 2023년 4월 14일 기준"),
    ],
)
async def test_brief_answers_in_the_senders_language(
    tg: Running, language: str, title: str, bottom_line: str
) -> None:
    tg.fake.languages[MEMBER_TG] = language
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief trilateral")
    (sent,) = await tg.fake.wait_sent(MEMBER_TG)
    assert sent.plain.startswith(title)
    assert bottom_line in sent.plain
    assert "US–China rivalry" in sent.plain  # content stays as written


@pytest.mark.parametrize(
    ("language", "title", "refusal"),
    [
        ("ja", "タイムライン — 日韓", "「japan-koera」というトピックはありません。"),
        ("ko", "타임라인 — 한일", "‘japan-koera’ 주제는 없습니다."),
    ],
)
async def test_timeline_and_refusals_in_the_senders_language(
    tg: Running, language: str, title: str, refusal: str
) -> None:
    tg.fake.languages[MEMBER_TG] = language
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline japan-korea")
    (timeline,) = await tg.fake.wait_sent(MEMBER_TG)
    assert timeline.plain.startswith(title)
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-koera")
    sent = await tg.fake.wait_sent(MEMBER_TG, 2)
    assert refusal in sent[1].plain


async def test_the_command_menu_is_set_per_language(tg: Running) -> None:
    menus = tg.fake.menus
    assert set(menus) == {"", "ja", "ko"}
    brief = {lang: next(c for c in menu if c["command"] == "brief") for lang, menu in menus.items()}
    assert brief[""]["description"] == "A briefing on a topic: bottom line, key developments"
    assert brief["ja"]["description"] == "トピックのブリーフィング: 要点と主な動向"
    assert brief["ko"]["description"] == "주제별 브리핑: 요점과 주요 동향"
    assert [c["command"] for c in menus["ko"]] == [c["command"] for c in menus[""]]


async def test_subscribe_answers_in_the_senders_language(tg: Running) -> None:
    tg.fake.languages[MEMBER_TG] = "ja"
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 08:00 Asia/Tokyo")
    (answer,) = await tg.fake.wait_sent(MEMBER_TG)
    assert answer.plain.startswith("この個人チャットでダイジェストの購読を始めました。")
    assert "毎日 08:00（Asia/Tokyo）" in answer.plain


async def test_a_chat_set_to_korean_gets_korean_digests(tg: Running) -> None:
    fake = tg.fake
    fake.members[(GROUP, ADMIN_TG)] = "administrator"
    fake.message(GROUP, ADMIN_TG, "/settings language ko")
    (changed,) = await fake.wait_sent(GROUP)
    assert changed.plain == "Language of this chat's digests: 한국어."  # the admin reads English
    fake.message(GROUP, ADMIN_TG, "/subscribe japan-korea daily 10:00 UTC")
    await fake.wait_sent(GROUP, 2)
    clock = tg.services.clock
    clock.advance(hours=2)  # type: ignore[attr-defined]
    await tg.services.catalogue.add(EDITOR, draft(title="Seoul and Tokyo resume shuttle talks"))
    clock.advance(days=1)  # type: ignore[attr-defined]
    outcomes = await tg.services.digests.scheduler.sweep()
    assert [o.kind for o in outcomes] == ["sent"]
    digest = fake.texts(GROUP)[-1]
    assert digest.startswith("🗞️ Trilateral Brief — 일간 다이제스트")
    assert "\n한일\n" in digest
    assert "Seoul and Tokyo resume shuttle talks" in digest  # content stays as written
    # The marker speaks Korean too; the period in it stays machine-readable.
    assert "Trilateral Brief 다이제스트 · 2023-05-02 · 1/1부" in digest
    assert "Trilateral Brief digest" not in digest


async def test_an_unknown_language_is_refused(tg: Running) -> None:
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/settings language fr")
    (refusal,) = await tg.fake.wait_sent(MEMBER_TG)
    assert "'fr' is not a language of the bot; use one of en, ja, ko" in refusal.plain


@pytest.mark.parametrize(
    ("language", "usage_line", "date_error"),
    [
        ("ja", "使い方: /brief トピック [期間] [分野]", ("開始日: ", "2023-03-16、2023-03、2023")),
        ("ko", "사용법: /brief 주제 [기간] [분야]", ("시작일: ", "2023-03-16, 2023-03, 2023")),
    ],
)
async def test_usage_lines_field_names_and_date_forms_are_translated(
    tg: Running, language: str, usage_line: str, date_error: tuple[str, str]
) -> None:
    tg.fake.languages[MEMBER_TG] = language
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief")
    (usage,) = await tg.fake.wait_sent(MEMBER_TG)
    assert usage.plain.startswith(usage_line)
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/timeline japan-korea March")
    error = (await tg.fake.wait_sent(MEMBER_TG, 2))[1]
    assert error.plain.startswith(date_error[0]) and date_error[1] in error.plain
    assert "YYYY" not in error.plain and "usage" not in usage.plain


async def test_topic_lists_in_japanese_use_the_japanese_comma(tg: Running) -> None:
    tg.fake.languages[MEMBER_TG] = "ja"
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea,us-japan daily 08:00 Asia/Tokyo")
    (answer,) = await tg.fake.wait_sent(MEMBER_TG)
    assert "日韓、日米" in answer.plain and "日韓, " not in answer.plain


async def test_an_empty_brief_reads_as_japanese_sentences(tg: Running) -> None:
    tg.fake.languages[MEMBER_TG] = "ja"
    tg.fake.message(MEMBER_TG, MEMBER_TG, "/brief japan-korea 7d")
    (brief,) = await tg.fake.wait_sent(MEMBER_TG)
    assert (
        "過去7日間の日韓の記録はありません。/brief japan-korea 30d（過去30日間）をお試しください。"
        in brief.plain
    )
