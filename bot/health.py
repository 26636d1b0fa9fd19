"""`/healthz` and `/metrics` over HTTP (METRICS_PORT, METRICS_HOST), one server per process.

`/healthz` answers 200 `ready` only when the process's database answers and every front end
it runs is connected; otherwise 503 with the reasons, one per line, so a load balancer or
an orchestrator stops sending work to it (or restarts it) and an operator reads why.
`/metrics` is Prometheus's text format (`bot.core.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from bot.core.metrics import CONTENT_TYPE
from bot.services import Services

log = logging.getLogger(__name__)

#: A database that has not answered `SELECT 1` by then is not ready.
DB_TIMEOUT = 2.0

#: Why the front ends are not ready (empty: they all are).
FrontEndProblems = Callable[[], list[str]]


async def database_problem(services: Services, timeout: float = DB_TIMEOUT) -> str | None:
    """Why the database does not answer, or None when it does."""
    try:
        await asyncio.wait_for(services.db.scalar("SELECT 1"), timeout)
    except TimeoutError:
        return f"database: no answer within {timeout:g} s"
    except Exception as exc:  # any failure is a reason, never a crash of the server
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        return f"database: {reason}"
    return None


class HealthServer:
    """The aiohttp server; `start()` binds it, `stop()` closes it."""

    def __init__(
        self, services: Services, front_ends: FrontEndProblems, *, host: str, port: int
    ) -> None:
        self.services = services
        self.front_ends = front_ends
        self.host = host
        self.port = port
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)

    async def healthz(self, request: web.Request) -> web.Response:
        """200 `ready`, or 503 with one reason per line."""
        problems = [p for p in [await database_problem(self.services)] if p]
        problems += self.front_ends()
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text="ready\n")

    async def metrics(self, request: web.Request) -> web.Response:
        """The gauges read now, then every metric in Prometheus's text format."""
        svc = self.services
        engine = svc.__dict__["digests"].engine if "digests" in svc.__dict__ else None
        try:
            await svc.metrics.refresh(svc.db, svc.clock(), engine)
        except Exception:  # the counters are still worth serving when the database is not
            log.warning("metrics: the database could not be read", exc_info=True)
        return web.Response(body=svc.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def start(self) -> int:
        """Listen; returns the port (the one chosen when `port` is 0)."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = int(self._runner.addresses[0][1])
        log.info("metrics and health served on http://%s:%s/", self.host, port)
        return port

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        await self._runner.cleanup()
