"""The fake Discord refuses the messages Discord refuses (harness.discord_rules, from
Discord's OpenAPI description and documented limits), and accepts embed-only messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from harness.fake_discord import FakeDiscord

CHANNEL = 99


@pytest.fixture
async def post() -> AsyncIterator[Any]:
    server = FakeDiscord(global_limit=None)
    url = await server.start()
    async with aiohttp.ClientSession() as session:

        async def send(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            async with session.post(f"{url}/channels/{CHANNEL}/messages", json=body) as response:
                return response.status, await response.json()

        yield send
    await server.stop()


def embed(**fields: Any) -> dict[str, Any]:
    return {"title": "A brief", "description": "Text", **fields}


def field(name: str = "n", value: str = "v") -> dict[str, str]:
    return {"name": name, "value": value}


def button(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": "go", **fields}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"content": "x" * 2001}, "content: 2001 characters"),
        ({"content": ""}, "empty"),
        ({"content": "hi", "colour": 3}, "unknown field(s) ['colour']"),
        ({"embeds": [embed(title="t" * 257)]}, "embeds[0].title"),
        ({"embeds": [embed(description="d" * 4097)]}, "embeds[0].description"),
        ({"embeds": [embed(fields=[field()] * 26)]}, "26 fields"),
        ({"embeds": [embed(fields=[field(name="n" * 257)])]}, "fields[0].name"),
        ({"embeds": [embed(fields=[field(value="v" * 1025)])]}, "fields[0].value"),
        ({"embeds": [embed(fields=[field(value="")])]}, "fields[0].value"),
        ({"embeds": [embed(footer={"text": "f" * 2049})]}, "footer.text"),
        ({"embeds": [embed(author={"name": "a" * 257})]}, "author.name"),
        ({"embeds": [embed(description="d" * 4000)] * 2}, "8014 characters in all"),
        ({"embeds": [embed()] * 11}, "embeds: 11"),
        ({"embeds": [embed(colour=3)]}, "unknown field(s) ['colour']"),
        ({"content": "hi", "components": [button()]}, "must be an action row"),
        ({"content": "hi", "components": [row(*[button()] * 6)]}, "6 buttons"),
        ({"content": "hi", "components": [row(button())] * 6}, "6 action rows"),
        ({"content": "hi", "components": [row(button(custom_id="c" * 101))]}, "custom_id"),
        ({"content": "hi", "components": [row(button(label="l" * 81))]}, "label"),
        ({"content": "hi", "components": [row(button(style=5))]}, "link button needs a url"),
        (
            {"content": "hi", "components": [row({"type": 3, "custom_id": "s", "options": []})]},
            "0 options",
        ),
    ],
)
async def test_messages_discord_refuses_are_refused(
    post: Any, body: dict[str, Any], problem: str
) -> None:
    status, answer = await post(body)
    assert status == 400 and answer["code"] == 50035, answer
    assert problem in answer["message"], answer["message"]


async def test_a_message_of_embeds_alone_is_accepted(post: Any) -> None:
    status, answer = await post({"embeds": [embed()], "allowed_mentions": {"parse": []}})
    assert status == 200 and answer["embeds"][0]["title"] == "A brief"


async def test_messages_at_every_limit_are_accepted(post: Any) -> None:
    full = embed(
        title="t" * 256,
        description="d" * 1000,
        fields=[field("n" * 10, "v" * 100)] * 25,
        footer={"text": "f" * 1000},
        author={"name": "a" * 256},
    )
    size = 256 + 1000 + 25 * 110 + 1000 + 256
    assert size <= 6000
    body = {"content": "x" * 2000, "embeds": [full], "components": [row(*[button()] * 5)] * 5}
    assert (await post(body))[0] == 200
