"""Digest subscriptions from Telegram: private chats, groups (administrators only) and
channels subscribed from a private chat; delivered by the process's one scheduler."""

from __future__ import annotations

from harness.fake_telegram import BOT_ID, BOT_USERNAME
from storage import subscriptions as store
from tests.helpers import EDITOR, draft
from tests.telegram.conftest import ADMIN_TG, CHANNEL, GROUP, MEMBER_TG, Running


async def test_a_private_chat_subscribes_previews_and_sends_now(tg: Running) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 08:00 Asia/Tokyo")
    (answer,) = await fake.wait_sent(MEMBER_TG)
    assert answer.plain.startswith("Subscribed this private chat to digests.")
    assert "Daily at 08:00 (Asia/Tokyo)" in answer.plain or "08:00" in answer.plain
    fake.message(MEMBER_TG, MEMBER_TG, "/subscriptions")
    listed = (await fake.wait_sent(MEMBER_TG, 2))[1].plain
    assert "Japan–South Korea" in listed or "japan-korea" in listed
    fake.message(MEMBER_TG, MEMBER_TG, "/digest preview")
    preview = (await fake.wait_sent(MEMBER_TG, 3))[2].plain
    assert "Trilateral Brief — daily digest" in preview
    fake.message(MEMBER_TG, MEMBER_TG, "/digest sendnow")
    sent = await fake.wait_for(
        lambda: [s for s in fake.sent[MEMBER_TG] if s.plain.startswith("Sent the digest")]
    )
    assert sent
    assert sent[0].plain.endswith(" (1 message).")  # not "message(s)"
    digests = [s for s in fake.sent[MEMBER_TG] if "part 1/" in s.plain]
    assert len(digests) == 2  # the preview and the delivered one
    fake.message(MEMBER_TG, MEMBER_TG, "/unsubscribe")
    await fake.wait_for(lambda: fake.texts(MEMBER_TG)[-1].startswith("No more digests"))


async def test_only_group_administrators_subscribe_a_group(tg: Running) -> None:
    fake = tg.fake
    fake.members[(GROUP, ADMIN_TG)] = "administrator"
    fake.message(GROUP, MEMBER_TG, f"/subscribe@{BOT_USERNAME} trilateral")
    refusal = (await fake.wait_sent(MEMBER_TG))[0].plain
    assert "Only this chat's administrators" in refusal
    assert GROUP not in fake.sent
    fake.message(GROUP, ADMIN_TG, "/subscribe trilateral weekly friday")
    (answer,) = await fake.wait_sent(GROUP)
    assert answer.plain.startswith("Subscribed this chat to digests.")


async def test_a_channel_is_subscribed_from_a_private_chat_by_its_administrator(
    tg: Running,
) -> None:
    fake = tg.fake
    fake.message(ADMIN_TG, ADMIN_TG, "/subscribe @alliance_digest trilateral")
    refusal = (await fake.wait_sent(ADMIN_TG))[0].plain
    assert "make the bot an administrator of @\u200balliance_digest" in refusal  # no mention
    fake.members[(CHANNEL, BOT_ID)] = "administrator"
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe @alliance_digest trilateral")
    assert "Only this chat's administrators" in (await fake.wait_sent(MEMBER_TG))[0].plain
    fake.members[(CHANNEL, ADMIN_TG)] = "administrator"
    fake.message(ADMIN_TG, ADMIN_TG, "/subscribe @alliance_digest trilateral daily")
    answer = (await fake.wait_sent(ADMIN_TG, 2))[1].plain
    assert answer.startswith("Subscribed Alliance digest to digests.")
    fake.message(ADMIN_TG, ADMIN_TG, f"/digest sendnow {CHANNEL}")
    (digest,) = await fake.wait_sent(CHANNEL)
    assert "Trilateral Brief — daily digest" in digest.plain
    fake.message(ADMIN_TG, ADMIN_TG, "/subscribe @nobody_here trilateral")
    gone = await fake.wait_for(
        lambda: [t for t in fake.texts(ADMIN_TG) if "cannot see @\u200bnobody_here" in t]
    )
    assert gone


async def test_one_scheduler_delivers_telegram_digests(tg: Running) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 10:00 UTC")
    await fake.wait_sent(MEMBER_TG)
    clock = tg.services.clock
    clock.advance(hours=2)  # type: ignore[attr-defined]
    await tg.services.catalogue.add(EDITOR, draft(title="Seoul and Tokyo resume shuttle talks"))
    clock.advance(days=1)  # type: ignore[attr-defined]
    outcomes = await tg.services.digests.scheduler.sweep()
    assert [o.kind for o in outcomes] == ["sent"]
    assert "Seoul and Tokyo resume shuttle talks" in fake.texts(MEMBER_TG)[-1]


async def test_settings_timezone_for_administrators(tg: Running) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/settings timezone Mars/Olympus")
    fake.message(MEMBER_TG, MEMBER_TG, "/settings")
    sent = await fake.wait_sent(MEMBER_TG, 2)
    texts = sorted(s.plain for s in sent)
    assert any(t.startswith("timezone: 'Mars/Olympus'") for t in texts), texts
    assert any(t.startswith("usage: /settings timezone") for t in texts), texts
    fake.message(MEMBER_TG, MEMBER_TG, "/settings timezone Asia/Seoul")
    await fake.wait_for(lambda: fake.texts(MEMBER_TG)[-1] == "Time zone: Asia/Seoul.")
    fake.message(GROUP, MEMBER_TG, "/settings timezone Asia/Seoul")
    await fake.wait_for(lambda: "administrators" in fake.texts(MEMBER_TG)[-1])


async def test_subscribe_takes_the_digest_filter_and_the_digest_keeps_only_what_passes(
    tg: Running,
) -> None:
    fake = tg.fake
    clock = tg.services.clock
    fake.message(
        MEMBER_TG,
        MEMBER_TG,
        "/subscribe japan-korea daily 10:00 UTC include=chips,semiconductor exclude=tourism "
        "domains=economy,security",
    )
    (answer,) = await fake.wait_sent(MEMBER_TG)
    assert "Filter: mentions chips or semiconductor · not tourism · security, economy only" in (
        answer.plain
    )
    fake.message(MEMBER_TG, MEMBER_TG, "/subscriptions")
    listed = (await fake.wait_sent(MEMBER_TG, 2))[1].plain
    assert "Filter: mentions chips or semiconductor" in listed
    clock.advance(hours=2)  # type: ignore[attr-defined]
    for title, domain in (
        ("Seoul and Tokyo agree on semiconductor supply chains", "economy"),
        ("Tourism ministers open a visa-free corridor", "society"),
        ("Japan and Korea hold chip export talks over tourism season", "economy"),
    ):
        await tg.services.catalogue.add(EDITOR, draft(title=title, domain=domain))
    clock.advance(days=1)  # type: ignore[attr-defined]
    outcomes = await tg.services.digests.scheduler.sweep()
    assert [o.kind for o in outcomes] == ["sent"]
    digest = fake.texts(MEMBER_TG)[-1]
    assert "Filter: mentions chips or semiconductor" in digest
    assert "semiconductor supply chains" in digest
    assert "Tourism ministers" not in digest  # not economy or security, and says tourism
    assert "chip export talks" not in digest  # mentions chips, but also tourism


async def test_a_bad_filter_is_refused_and_nothing_is_stored(tg: Running) -> None:
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea domains=sports")
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea colour=red")
    texts = sorted(s.plain for s in await fake.wait_sent(MEMBER_TG, 2))
    assert texts[0].startswith("domains: 'sports' is not a domain"), texts
    assert texts[1].startswith("subscribe: 'colour' is not an option"), texts
    fake.message(MEMBER_TG, MEMBER_TG, "/subscriptions")
    listed = (await fake.wait_sent(MEMBER_TG, 3))[2].plain
    assert "No digests here yet" in listed


async def test_subscriptions_shows_a_digest_waiting_for_telegram(tg: Running) -> None:
    """A digest no running process could send for over a period (a Discord-only process's
    sweeps marked it) says why in /subscriptions."""
    fake = tg.fake
    fake.message(MEMBER_TG, MEMBER_TG, "/subscribe japan-korea daily 08:00 Asia/Tokyo")
    await fake.wait_sent(MEMBER_TG)
    db = tg.services.db
    sub = await store.subscription_for_channel(db, MEMBER_TG)
    assert sub is not None
    async with db.transaction() as w:
        await store.set_waiting_for(w, sub.id, "telegram")
    fake.message(MEMBER_TG, MEMBER_TG, "/subscriptions")
    listed = (await fake.wait_sent(MEMBER_TG, 2))[1].plain
    assert "Waiting: no running process has Telegram, so this digest cannot be sent yet." in listed
