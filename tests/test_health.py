"""/healthz when the database does not answer: 503 and the reason, never a crash."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.health import HealthServer
from bot.services import open_services
from tests.conftest import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_closed_database_makes_the_process_not_ready(
    database_settings: dict[str, Any], backend: str
) -> None:
    services = await open_services(Settings(**database_settings))
    assert services.db.dialect == backend
    server = HealthServer(services, lambda: [], host="127.0.0.1", port=0)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}"
            async with http.get(url + "/healthz") as ok:
                assert (ok.status, await ok.text()) == (200, "ready\n")
            async with http.get(url + "/metrics") as metrics:
                assert "briefbot_db_connections_in_use 0.0" in await metrics.text()
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
