"""A loopback HTTP server serving feed fixtures, with the failure modes feeds have in the
wild: 304s, 500s, timeouts, redirect loops, 410 Gone and a 20 MB body."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
DATA = Path(__file__).parent.parent / "data" / "feeds"  # small feeds of real-world failures
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
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # with a forced status
    reasons: dict[str, str] = field(default_factory=dict)  # path -> forced reason phrase
    _runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def serve_items(self, path: str, title: str, items: list[tuple[str, str, str]]) -> None:
        """An RSS 2.0 feed of (title, link, RFC 822 date) items."""
        self.documents[path] = (rss(title, items), "application/rss+xml; charset=utf-8")

    def serve_fixture(self, path: str, fixture: str, content_type: str = "application/rss+xml"):
        self.documents[path] = ((FIXTURES / fixture).read_bytes(), content_type)

    def serve_data(self, path: str, name: str, content_type: str | None = "application/rss+xml"):
        """A feed of tests/data/feeds (`content_type` None: no Content-Type header)."""
        self.documents[path] = ((DATA / name).read_bytes(), content_type or "")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lstrip("/")
        self.hits[path] = self.hits.get(path, 0) + 1
        if path in self.statuses:
            return web.Response(
                status=self.statuses[path],
                reason=self.reasons.get(path),
                headers=self.headers.get(path),
                text="forced",
            )
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
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        response = web.Response(body=body, headers=headers)
        if content_type:
            response.headers["Content-Type"] = content_type
        else:  # aiohttp would send application/octet-stream: some servers send nothing
            response.headers.popall("Content-Type", None)
        return response

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


@dataclass
class RawServer:
    """Answers every connection with the same raw bytes: what aiohttp's own server refuses
    to send (control characters in the reason phrase or a header)."""

    answer: bytes = b""
    port: int = 0
    _server: asyncio.Server | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(self.answer)
        await writer.drain()
        writer.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
