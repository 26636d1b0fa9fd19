"""A loopback HTTP server serving feed fixtures, with the failure modes feeds have in the
wild: 304s, 500s, timeouts, redirect loops, 410 Gone and a 20 MB body."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
LAST_MODIFIED = "Sun, 30 Apr 2023 09:00:00 GMT"


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """A small RSS 2.0 document (titles are escaped as publishers do)."""
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<pubDate>{d}</pubDate><description>{escape(t)}.</description></item>"
        for t, link, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title>{body}</channel></rss>"
    ).encode()


@dataclass
class FeedServer:
    """Documents by path (edit `documents` to change a feed between polls)."""

    documents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    conditional_hits: int = 0
    port: int = 0
    slow_seconds: float = 5.0
    statuses: dict[str, int] = field(default_factory=dict)  # path -> forced status
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def serve_items(self, path: str, title: str, items: list[tuple[str, str, str]]) -> None:
        """An RSS 2.0 feed of (title, link, RFC 822 date) items."""
        self.documents[path] = (rss(title, items), "application/rss+xml; charset=utf-8")

    def serve_fixture(self, path: str, fixture: str, content_type: str = "application/rss+xml"):
        self.documents[path] = ((FIXTURES / fixture).read_bytes(), content_type)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        self.hits[path] = self.hits.get(path, 0) + 1
        if path in self.statuses:
            return web.Response(status=self.statuses[path], text="forced")
        if path == "error":
            return web.Response(status=500, text="Internal Server Error")
        if path == "gone":
            return web.Response(status=410, text="Gone")
        if path == "slow":
            await asyncio.sleep(self.slow_seconds)
            return web.Response(text="late")
        if path in ("loop-a", "loop-b"):
            target = "loop-b" if path == "loop-a" else "loop-a"
            raise web.HTTPFound(f"/{target}")
        if path.startswith("hop"):
            n = int(path[3:] or 0)
            raise web.HTTPFound(f"/hop{n + 1}") if n < 50 else web.HTTPFound("/yonhap")
        if path == "moved":
            raise web.HTTPMovedPermanently("/yonhap")
        if path == "huge":
            return await self._huge(request)
        if path not in self.documents:
            return web.Response(status=404, text="Not Found")
        body, content_type = self.documents[path]
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.conditional_hits += 1
            return web.Response(status=304)
        return web.Response(
            body=body,
            headers={
                "Content-Type": content_type,
                "ETag": etag,
                "Last-Modified": LAST_MODIFIED,
            },
        )

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        """20 MB of a valid-looking feed, streamed without a Content-Length."""
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        await resp.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>')
        chunk = b"<item><title>" + b"x" * 1000 + b"</title></item>"
        sent = 0
        try:
            while sent < 20 * 1024 * 1024:
                await resp.write(chunk * 64)
                sent += len(chunk) * 64
        except (ConnectionResetError, RuntimeError):
            pass
        return resp

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
