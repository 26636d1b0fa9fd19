"""Migration 005 on a database made by the release before it (migrations 001–002 and the
rows that release wrote): nothing lost, every scoped row Discord's, indexes still used."""

from __future__ import annotations

from pathlib import Path

from bot.core import lookup
from bot.core.catalogue import Catalogue
from bot.core.scope_settings import ScopeSettingsService
from bot.core.subscriptions import SubscriptionService
from bot.domain.scope import Scope
from storage.sqlite.database import Database
from tests.helpers import GUILD_A, MOD_A, SCOPE_A, FixedClock

CHANNEL = 444444444444444444
AT = "2023-04-01T00:00:00Z"


async def _release_database(path: Path) -> None:
    """Rows as the release before 005 wrote them."""
    db = await Database.open(path, migrate=False)
    try:
        assert await db.migrate(target=2) == [1, 2]
        async with db.transaction() as w:
            for dev_id, guild, title in (
                (1, None, "Global summit"),
                (2, GUILD_A, "Server kangaroo"),
            ):
                await w.execute(
                    "INSERT INTO developments (id, kind, title, summary, occurred_on, "
                    "date_precision, countries, domain, tags, importance, guild_id, created_by, "
                    "created_at, updated_by, updated_at) VALUES (?, 'event', ?, 'A summary.', "
                    "'2023-04-20', 'day', 'JP KR', 'diplomacy', '', 2, ?, 'x', ?, 'x', ?)",
                    (dev_id, title, guild, AT, AT),
                )
                await w.execute(
                    "INSERT INTO development_topics (topic, occurred_on, development_id) "
                    "VALUES ('japan-korea', '2023-04-20', ?)",
                    (dev_id,),
                )
                await w.execute(
                    "INSERT INTO developments_fts (rowid, title, summary, tags, sources) "
                    "VALUES (?, ?, 'A summary.', '', '')",
                    (dev_id, title),
                )
            for guild, line in ((None, "Global view."), (GUILD_A, "Server view.")):
                await w.execute(
                    "INSERT INTO assessments (topic, guild_id, bottom_line, trend, author, "
                    "created_at) VALUES ('japan-korea', ?, ?, 'improving', 'x', ?)",
                    (guild, line, AT),
                )
            await w.execute(
                "INSERT INTO guild_settings (guild_id, timezone, moderator_role_id, language, "
                "updated_by, updated_at) VALUES (?, 'Asia/Seoul', 55, 'en', 'x', ?)",
                (GUILD_A, AT),
            )
            sub_id = await w.execute(
                "INSERT INTO subscriptions (guild_id, channel_id, topics, created_by, created_at, "
                "next_run_utc) VALUES (?, ?, '[\"japan-korea\"]', 'x', ?, ?)",
                (GUILD_A, CHANNEL, AT, AT),
            )
            await w.execute(
                "INSERT INTO digest_deliveries (subscription_id, period_key, state, created_at, "
                "channel_id, window_start, window_end) VALUES (?, '2023-W13', 'sent', ?, ?, ?, ?)",
                (sub_id, AT, CHANNEL, AT, AT),
            )
    finally:
        await db.close()


async def _plan(db: Database, sql: str, params: tuple[object, ...]) -> str:
    rows = await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
    return " | ".join(str(r["detail"]) for r in rows)


async def test_release_database_migrates_to_platform_scopes(tmp_path: Path) -> None:
    path = tmp_path / "release.sqlite3"
    await _release_database(path)
    db = await Database.open(path)
    clock = FixedClock()
    try:
        assert await db.schema_version() >= 5
        platforms = await db.fetchall("SELECT id, platform FROM developments ORDER BY id")
        assert [(r["id"], r["platform"]) for r in platforms] == [(1, None), (2, "discord")]

        catalogue = Catalogue(db, clock)
        assert (await catalogue.show(2, SCOPE_A)).title == "Server kangaroo"
        assert not (await lookup.search(db, "kangaroo", Scope.telegram(GUILD_A))).hits
        assert [h.development.id for h in (await lookup.search(db, "kangaroo", SCOPE_A)).hits] == [
            2
        ]
        server_view = await catalogue.current_assessment("japan-korea", SCOPE_A)
        other_view = await catalogue.current_assessment("japan-korea", Scope.telegram(GUILD_A))
        assert server_view is not None and server_view.bottom_line == "Server view."
        assert other_view is not None and other_view.bottom_line == "Global view."

        settings = await ScopeSettingsService(db, clock).get(SCOPE_A)
        assert (settings.timezone, settings.moderator_role_id, settings.language) == (
            "Asia/Seoul",
            55,
            "en",
        )
        (sub,) = await SubscriptionService(db, clock).list(MOD_A, SCOPE_A)
        assert sub.channel_id == CHANNEL and sub.scope == SCOPE_A
        assert await db.scalar("SELECT COUNT(*) FROM digest_deliveries") == 1

        # Every index still serves its query.
        assert "developments_scope_date" in await _plan(
            db,
            "SELECT id FROM developments WHERE platform = ? AND guild_id = ? "
            "ORDER BY occurred_on DESC",
            ("discord", GUILD_A),
        )
        assert "assessments_current" in await _plan(
            db,
            "SELECT * FROM assessments WHERE topic = ? AND ((platform IS NULL AND guild_id IS "
            "NULL) OR (platform = ? AND guild_id = ?)) ORDER BY guild_id IS NULL, id DESC LIMIT 1",
            ("japan-korea", "discord", GUILD_A),
        )
        assert "subscriptions_scope" in await _plan(
            db,
            "SELECT * FROM subscriptions WHERE platform = ? AND guild_id = ? ORDER BY id",
            ("discord", GUILD_A),
        )
        assert await db.integrity_check() == "ok"
    finally:
        await db.close()
