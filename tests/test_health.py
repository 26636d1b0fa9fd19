"""/healthz when the database does not answer: 503 and the reason, never a crash."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.health import HealthServer
from bot.services import open_services


async def test_a_closed_database_makes_the_process_not_ready(tmp_path: Path) -> None:
    services = await open_services(Settings(database_path=tmp_path / "bot.sqlite3"))
    server = HealthServer(services, lambda: [], host="127.0.0.1", port=0)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}"
            async with http.get(url + "/healthz") as ok:
                assert (ok.status, await ok.text()) == (200, "ready\n")
            await services.close()
            async with http.get(url + "/healthz") as down:
                assert down.status == 503
                assert (await down.text()).startswith("database: ")
            async with http.get(url + "/metrics") as metrics:
                # The counters are still served: the operator sees what happened before.
                assert metrics.status == 200
                assert "briefbot_command_seconds" in await metrics.text()
            async with http.get(url + "/elsewhere") as missing:
                assert missing.status == 404
    finally:
        await server.stop()
        await services.close()
