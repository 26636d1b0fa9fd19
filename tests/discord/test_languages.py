"""SimCord in Japanese and Korean: answers follow the user's client locale, command text is
localised through the tree's translator, and a server set to Korean gets Korean digests
(whatever the language of the moderator who asked for them). Content stays as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import simcord.interactions

from bot.config import Settings
from bot.discord.client import BriefBot
from bot.domain.errors import PermissionDenied, UnknownTopic
from tests.discord._support import add_development, refusals, refused
from tests.discord.conftest import NOW, World, text_of
from tests.helpers import FixedClock

BRIEF = {
    "ja": ("日米韓 — 📈 改善", "**要点** · 2023年4月14日時点 · 全期間", "**主な動向**"),
    "ko": ("한미일 — 📈 개선", "**요점** · 2023년 4월 14일 기준 · 전체 기간", "**주요 동향**"),
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def simcord_bot(db_path: Path, clock: FixedClock) -> BriefBot:
    return BriefBot(Settings(database_path=db_path), clock=clock)


@pytest.fixture
def locales(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """user id → the Discord locale their client sends (SimCord always sends en-US)."""
    chosen: dict[int, str] = {}
    original = simcord.interactions.base_payload

    def with_locale(*args: Any, **kwargs: Any) -> Any:
        record, payload = original(*args, **kwargs)
        if kwargs["user_id"] in chosen:
            payload["locale"] = chosen[kwargs["user_id"]]
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", with_locale)
    return chosen


@pytest.mark.parametrize("language", ["ja", "ko"])
async def test_brief_answers_in_the_users_language(
    world: World, locales: dict[int, str], language: str
) -> None:
    locales[world.member.id] = language
    r = await world.member.slash(world.general, "brief", topic="trilateral")
    embed = r.response.embeds[0]
    title, first_line, heading = BRIEF[language]
    assert embed.title == title
    assert embed.description.startswith(first_line)
    assert heading in embed.description
    # content stays as written: the moderator's English bottom line is not translated
    assert "US–China rivalry and North Korea's military activities" in embed.description
    other = await world.editor.slash(world.general, "brief", topic="trilateral")
    assert other.response.embeds[0].title == "US–Japan–South Korea — 📈 improving"


@pytest.mark.parametrize(
    ("language", "title", "footer"),
    [("ja", "タイムライン — 日韓", "動向 "), ("ko", "타임라인 — 한일", "동향 ")],
)
async def test_timeline_answers_in_the_users_language(
    world: World, locales: dict[int, str], language: str, title: str, footer: str
) -> None:
    locales[world.member.id] = language
    r = await world.member.slash(world.general, "timeline", topic="japan-korea")
    embed = r.response.embeds[0]
    assert embed.title == title
    assert embed.footer.text.startswith(footer)
    assert "2023年3月16日" in embed.description or "2023년 3월 16일" in embed.description


@pytest.mark.parametrize(
    ("language", "said", "schedule"),
    [
        ("ja", "でダイジェストの購読を始めました。", "毎週月曜日 09:00（UTC）"),
        ("ko", "에서 다이제스트 구독을 시작했습니다.", "매주 월요일 09:00 (UTC)"),
    ],
)
async def test_subscribe_answers_in_the_users_language(
    world: World, locales: dict[int, str], language: str, said: str, schedule: str
) -> None:
    locales[world.mod.id] = language
    r = await world.mod.slash(world.general, "subscribe")
    text = text_of(r)
    assert said in text and schedule in text
    assert "日米韓" in text or "한미일" in text


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("ja", "「japan-koera」というトピックはありません。もしかして japan-korea"),
        ("ko", "‘japan-koera’ 주제는 없습니다. 혹시 japan-korea"),
    ],
)
async def test_refusals_come_in_the_users_language(
    world: World, locales: dict[int, str], language: str, refusal: str
) -> None:
    locales[world.member.id] = language
    r = await world.member.slash(world.general, "brief", topic="japan-koera")
    assert refusal in refused(r)
    denied = await world.member.slash(world.general, "subscribe")
    expected = "モデレーター" if language == "ja" else "운영진"
    assert expected in refused(denied)
    assert [type(e) for e in refusals(world.env)] == [UnknownTopic, PermissionDenied]


async def test_command_text_is_localised_for_japanese_and_korean(world: World) -> None:
    commands = world.env.backend.commands[None]
    brief = next(c for (name, _type), c in commands.items() if name == "brief")
    assert brief["description_localizations"] == {
        "ja": "トピックのブリーフィング: 要点、主な動向、出典",
        "ko": "주제별 브리핑: 요점, 주요 동향, 출처",
    }
    assert "name_localizations" not in brief or not brief["name_localizations"]
    period = next(o for o in brief["options"] if o["name"] == "period")
    assert period["description_localizations"]["ko"] == "조회 기간(기본값: 전체 기간)"
    all_time = next(c for c in period["choices"] if c["value"] == "all")
    assert all_time["name_localizations"] == {"ja": "全期間", "ko": "전체 기간"}


async def test_a_server_set_to_korean_gets_korean_digests(world: World, clock: FixedClock) -> None:
    settings = await world.mod.slash(world.general, "settings", language="ko")
    assert "Language: 한국어" in refused(settings)  # the moderator's client is English
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    clock.advance(hours=1)
    await add_development(world.mod, world.general, title="Seoul and Tokyo sign a chip pact")
    clock.advance(minutes=1)
    r = await world.mod.slash(world.general, "digest send-now")
    assert "Posted the digest" in refused(r)  # the answer to the person: English
    posted = world.general.last_message.content
    assert posted.startswith("## 🗞️ Trilateral Brief — 주간 다이제스트")
    assert "### 한일" in posted
    assert "Seoul and Tokyo sign a chip pact" in posted  # content stays as written
    assert "전체 브리핑: `/brief trilateral`" in posted
    # The marker is translated too: a restart compares it with the parts stored at the claim.
    assert "Trilateral Brief 다이제스트 · 2026-W49 · 1/1부" in posted


@pytest.mark.parametrize(
    ("language", "title", "query"),
    [
        ("ja", "日韓が半導体材料の輸出規制を緩和", "輸出規制"),
        ("ko", "한일 반도체 수출 규제 완화 합의", "반도체"),
    ],
)
async def test_search_finds_japanese_and_korean_text(
    world: World, locales: dict[int, str], language: str, title: str, query: str
) -> None:
    _shown, dev_id = await add_development(world.mod, world.general, title=title)
    locales[world.member.id] = language
    r = await world.member.slash(world.general, "search", query=query)
    embed = r.response.embeds[0]
    assert f"`#{dev_id}`" in embed.description
    assert embed.title == ("検索 — " if language == "ja" else "검색 — ") + query


async def test_help_lists_commands_in_the_users_language(
    world: World, locales: dict[int, str]
) -> None:
    locales[world.mod.id] = "ja"
    r = await world.mod.slash(world.general, "help")
    text = text_of(r)
    assert "ここでできること" in text
    assert "**全員**" in text and "**このサーバーのモデレーター**" in text
    assert "`/brief topic:japan-korea` — 要点、主な動向、出典" in text


async def test_a_preview_in_a_server_set_to_korean_is_korean(
    world: World, clock: FixedClock
) -> None:
    """A preview looks exactly like what the channel will get, whoever asks."""
    await world.mod.slash(world.general, "settings", language="ko")
    await world.mod.slash(world.general, "subscribe", post_empty=True)
    clock.advance(hours=1)
    preview = await world.mod.slash(world.general, "digest preview")
    shown = preview.response.content
    assert shown.startswith("## 🗞️ Trilateral Brief — 주간 다이제스트"), shown
    await world.mod.slash(world.general, "digest send-now")
    posted = world.general.last_message.content
    assert shown.splitlines()[:3] == posted.splitlines()[:3]
