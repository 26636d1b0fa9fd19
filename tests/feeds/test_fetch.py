"""Fetching against a loopback server: conditional GET, failures, limits, refusals."""

from __future__ import annotations

import pytest

from bot.core.feeds.fetch import (
    FeedUnreachable,
    Fetcher,
    FetchPolicy,
    HostGate,
    PrivateAddress,
    _GuardedResolver,
    check_feed_url,
)
from bot.domain.errors import InvalidInput
from tests.feeds.server import FeedServer


async def test_a_feed_then_a_304_with_its_validators(server: FeedServer, fetcher: Fetcher):
    first = await fetcher.fetch(server.url("yonhap"))
    assert first.status == 200 and first.body and b"<rss" in first.body
    assert first.etag and first.last_modified
    again = await fetcher.fetch(
        server.url("yonhap"), etag=first.etag, last_modified=first.last_modified
    )
    assert again.not_modified and again.body is None
    assert server.conditional_hits == 1


async def test_redirect_is_followed_but_loops_and_chains_are_refused(server, fetcher):
    moved = await fetcher.fetch(server.url("moved"))
    assert moved.status == 200 and moved.url.endswith("/yonhap")
    with pytest.raises(FeedUnreachable, match="redirects in a loop"):
        await fetcher.fetch(server.url("loop-a"))
    with pytest.raises(FeedUnreachable, match="redirects more than 5 times"):
        await fetcher.fetch(server.url("hop0"))


@pytest.mark.parametrize(
    ("path", "words"),
    [("error", "HTTP 500"), ("missing", "HTTP 404"), ("slow", "did not answer within 1 s")],
)
async def test_failures_say_why(server, fetcher, path, words):
    with pytest.raises(FeedUnreachable, match=words):
        await fetcher.fetch(server.url(path))


async def test_a_20_mb_body_is_cut_at_the_cap(server: FeedServer):
    small = Fetcher(FetchPolicy(allow_private=True, host_interval_s=0, max_bytes=2 * 1024 * 1024))
    try:
        with pytest.raises(FeedUnreachable, match="larger than the 2 MB limit"):
            await small.fetch(server.url("huge"))
    finally:
        await small.close()


async def test_gone_is_reported(server, fetcher):
    assert (await fetcher.fetch(server.url("gone"))).gone


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.1.2.3", "169.254.169.254"])
async def test_local_addresses_are_refused_by_default(server: FeedServer, host: str):
    strict = Fetcher(FetchPolicy(host_interval_s=0, timeout_s=1.0))
    try:
        with pytest.raises(PrivateAddress, match="private or local address"):
            await strict.fetch(f"http://{host}:{server.port}/yonhap")
    finally:
        await strict.close()
    assert server.hits.get("yonhap", 0) == 0  # refused before any request


async def test_names_resolving_to_local_addresses_are_refused_at_connect_time():
    # The resolver checks every answer, so a public-looking name (or a DNS answer that
    # changes after the feed was added) cannot lead to the host's own network.
    resolver = _GuardedResolver()
    try:
        with pytest.raises(PrivateAddress, match="private or local address"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "javascript:alert(1)", "example.com"])
def test_only_http_urls_are_accepted(url: str):
    with pytest.raises(InvalidInput, match="http:// or https://"):
        check_feed_url(url)


async def test_politeness_spaces_requests_to_one_host(server: FeedServer):
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    policy = FetchPolicy(allow_private=True, host_interval_s=30.0)
    polite = Fetcher(policy)
    polite.gate = HostGate(policy, monotonic=lambda: now[0], sleep=sleep)
    try:
        await polite.fetch(server.url("yonhap"))
        now[0] += 10.0
        await polite.fetch(server.url("kyodo"))
    finally:
        await polite.close()
    assert slept == [20.0]  # the second request waited out the rest of the 30 s
