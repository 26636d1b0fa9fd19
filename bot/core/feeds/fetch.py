"""Fetching feeds politely and safely: conditional GET, timeouts, a size cap, a redirect
limit, one request at a time per host, and no requests to the host's own network unless
configuration allows it (a moderator must not be able to make the bot probe it)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot import __version__
from bot.domain.controls import for_terminal
from bot.domain.errors import DomainError, InvalidInput, Unreachable
from bot.i18n import gettext as _

log = logging.getLogger(__name__)

USER_AGENT = f"TrilateralBrief/{__version__} (+feed reader; polls every 15 min at most)"
_REDIRECTS = (301, 302, 303, 307, 308)


class FeedUnreachable(Unreachable):
    """The feed could not be fetched; the message says why (timeout, status, size…).
    `retry_after` is the server's Retry-After header, when it sent one."""

    def __init__(self, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_delay(value: str | None, now: datetime) -> timedelta | None:
    """How long a Retry-After header (seconds, or an HTTP date) asks to wait from `now`;
    None when absent or unreadable (a date in the past is no wait)."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return timedelta(seconds=min(int(text[:9]), 10**8))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


class PrivateAddress(DomainError):
    """The feed is on a private or local address and the configuration does not allow it:
    a refusal, not a network failure."""


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch, and politeness between fetches to one host."""

    timeout_s: float = 20.0
    connect_timeout_s: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_private: bool = False
    host_interval_s: float = 1.0  # at least this long between two requests to one host
    host_concurrency: int = 1


@dataclass(frozen=True)
class FetchResult:
    """A fetched feed (`body` None when unchanged: 304) with its validators."""

    status: int
    url: str
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """The feed is unchanged since the validators we sent."""
        return self.status == 304

    @property
    def gone(self) -> bool:
        """410 Gone: the publisher removed the feed for good."""
        return self.status == 410


def check_feed_url(url: str) -> str:
    """An http(s) URL with a host, stripped; `InvalidInput` otherwise."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        raise InvalidInput(
            "url", _("{text!r} is not a valid address").format(text=text[:80])
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "url", _("must start with http:// or https://; got {text!r}").format(text=text[:80])
        )
    if len(text) > 500 or any(c.isspace() for c in text) or for_terminal(text) != text:
        raise InvalidInput("url", _("must be one address of at most 500 characters"))
    return text


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _refuse_private(host: str, address: str) -> None:
    raise PrivateAddress(
        f"{host} is a private or local address ({address}); feeds must be on the public "
        "internet (the operator can allow this with FEEDS_ALLOW_PRIVATE)"
    )


class _GuardedResolver(AbstractResolver):
    """Resolves like aiohttp does, then refuses non-public addresses: checking at connect
    time (not only when a feed is added) closes the door to DNS rebinding."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for r in results:
            if not _is_public(r["host"]):
                _refuse_private(host, r["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


class HostGate:
    """Per-host politeness: a bounded number of requests at once, spaced in time."""

    def __init__(
        self,
        policy: FetchPolicy,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.policy = policy
        self.monotonic = monotonic
        self.sleep = sleep
        self._locks: dict[str, asyncio.Semaphore] = {}
        self._last: dict[str, float] = {}

    async def __call__(self, host: str) -> asyncio.Semaphore:
        """Wait for this host's turn; the caller holds the returned semaphore."""
        gate = self._locks.setdefault(host, asyncio.Semaphore(self.policy.host_concurrency))
        await gate.acquire()
        wait = self._last.get(host, -1e9) + self.policy.host_interval_s - self.monotonic()
        if wait > 0:
            await self.sleep(wait)
        self._last[host] = self.monotonic()
        return gate


class Fetcher:
    """One HTTP session for every feed fetch of the process."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self.gate = HostGate(self.policy)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            resolver = None if self.policy.allow_private else _GuardedResolver()
            connector = aiohttp.TCPConnector(limit=64, resolver=resolver, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                timeout=aiohttp.ClientTimeout(
                    total=self.policy.timeout_s, sock_connect=self.policy.connect_timeout_s
                ),
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()

    def _check_literal(self, host: str) -> None:
        """aiohttp skips the resolver for IP literals, so those are checked here."""
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            if host.lower() == "localhost" or host.lower().endswith(".localhost"):
                _refuse_private(host, "loopback")
            return
        if not _is_public(host.strip("[]")):
            _refuse_private(host, host)

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET a feed, following at most `max_redirects` redirects; `FeedUnreachable` says
        why it failed."""
        headers: dict[str, str] = {
            "Accept": "application/rss+xml, application/atom+xml, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {url}
        current = url
        for _attempt in range(self.policy.max_redirects + 1):
            result = await self._one(current, headers)
            if isinstance(result, FetchResult):
                return result
            current = urljoin(current, result)
            check_feed_url(current)
            if current in seen:
                raise FeedUnreachable(f"{url} redirects in a loop")
            seen.add(current)
        raise FeedUnreachable(f"{url} redirects more than {self.policy.max_redirects} times")

    async def _one(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        host = urlsplit(url).hostname or ""
        if not self.policy.allow_private:
            self._check_literal(host)
        gate = await self.gate(host)
        try:
            async with self._open().get(url, headers=headers, allow_redirects=False) as resp:
                return await self._read(url, resp)
        except TimeoutError:
            raise FeedUnreachable(
                f"{url} did not answer within {self.policy.timeout_s:g} s"
            ) from None
        except aiohttp.ClientError as exc:
            if isinstance(exc.__cause__, PrivateAddress):  # refused by our own resolver
                raise exc.__cause__ from None
            raise FeedUnreachable(f"cannot fetch {url}: {_describe(exc)}") from None
        finally:
            gate.release()

    async def _read(self, url: str, resp: aiohttp.ClientResponse) -> FetchResult | str:
        if resp.status in _REDIRECTS:
            location = resp.headers.get("Location")
            if not location:
                raise FeedUnreachable(f"{url} redirects without saying where")
            return location
        if resp.status in (304, 410):
            return FetchResult(resp.status, url)
        if resp.status != 200:
            reason = " ".join(for_terminal(resp.reason or "").split())[:80]  # the server's words
            raise FeedUnreachable(
                f"{url} answered HTTP {resp.status} {reason}".strip(),
                retry_after=resp.headers.get("Retry-After"),
            )
        cap = self.policy.max_bytes
        if (resp.content_length or 0) > cap:
            raise FeedUnreachable(f"{url} is larger than the {cap // 1024 // 1024} MB limit")
        chunks = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > cap:
                raise FeedUnreachable(f"{url} is larger than the {cap // 1024 // 1024} MB limit")
            chunks.append(chunk)
        return FetchResult(
            200,
            url,
            body=b"".join(chunks),
            content_type=resp.headers.get("Content-Type"),
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
        )


def _describe(exc: aiohttp.ClientError) -> str:
    """What went wrong in words an operator reads, not the library's internals."""
    if isinstance(exc, aiohttp.ClientSSLError):
        return "its TLS certificate or handshake was refused"
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        if isinstance(cause, ConnectionRefusedError):
            return "the server refused the connection"
        if isinstance(cause, socket.gaierror):
            return "the host name was not found"
        if isinstance(cause, ssl.SSLError):
            return "its TLS certificate or handshake was refused"
        return "the server could not be reached"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return "the server closed the connection before the feed was sent"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"the server sent an invalid answer (HTTP {exc.status})"
    return "the server sent an invalid answer"
