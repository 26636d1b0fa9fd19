"""The test-suite hook (tests/discord/conftest.py) refuses, as Discord does, every request
that breaks Discord's rules: each rule is shown by a request that breaks it."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from simcord.backend.errors import BackendError
from simcord.types import HttpLogEntry

from tests.discord.conftest import CheckedRequests, World

APP = "/applications/1"
CALLBACK = "/interactions/2/tok/callback"


def refused(method: str, path: str, body: Any) -> str:
    """What the hook answers to one request (asserting it refuses it)."""
    log = CheckedRequests()
    with pytest.raises(BackendError) as caught:
        log.append(HttpLogEntry(method, path, {}, body, None))
    assert caught.value.status == 400 and caught.value.code == 50035
    assert log.refused and len(log) == 1
    return caught.value.message


def accepted(method: str, path: str, body: Any) -> None:
    log = CheckedRequests()
    log.append(HttpLogEntry(method, path, {}, body, None))
    assert not log.refused


def command(**fields: Any) -> dict[str, Any]:
    return {"name": "brief", "description": "A briefing", "type": 1, **fields}


def option(**fields: Any) -> dict[str, Any]:
    return {"type": 3, "name": "topic", "description": "A topic", **fields}


def choice(name: str = "Weekly", value: str = "weekly") -> dict[str, str]:
    return {"name": name, "value": value}


@pytest.mark.parametrize(
    ("commands", "problem"),
    [
        ([command(name="Brief")], "must be lowercase"),
        ([command(name="x" * 33)], "must match"),
        ([command(name="brief me")], "must match"),
        ([command(description="")], "at least 1"),
        ([command(description="d" * 101)], "101 characters"),
        ([command(name_localizations={"jp": "ブリーフ"})], "'jp' is not a Discord locale"),
        ([command(description_localizations={"ko-KR": "x"})], "'ko-KR' is not a Discord locale"),
        ([command(options=[option(name="Topic")])], "must be lowercase"),
        ([command(options=[option(description="d" * 101)])], "101 characters"),
        ([command(options=[option(choices=[choice()] * 26)])], "26 choices"),
        ([command(options=[option(choices=[choice(name="")])])], "at least 1"),
        ([command(options=[option(choices=[choice(name="n" * 101)])])], "101 characters"),
        ([command(options=[option()] * 26)], "26 options"),
        ([command(name=f"c{i}") for i in range(101)], "commands: 101"),
    ],
)
def test_command_registration_is_checked(commands: list[dict[str, Any]], problem: str) -> None:
    assert problem in refused("PUT", f"{APP}/commands", commands)


def test_valid_commands_in_every_script_are_accepted() -> None:
    accepted(
        "PUT",
        f"{APP}/commands",
        [
            command(
                name_localizations={"ja": "ブリーフ", "ko": "브리핑"},
                options=[option(choices=[choice("n" * 100, "v" * 100)] * 25)],
            )
        ],
    )


def modal(value: str, max_length: int = 4000) -> dict[str, Any]:
    text_input = {
        "type": 4,
        "custom_id": "sources",
        "style": 2,
        "value": value,
        "max_length": max_length,
    }
    return {
        "type": 9,
        "data": {
            "custom_id": "form",
            "title": "Edit",
            "components": [{"type": 18, "label": "Sources", "component": text_input}],
        },
    }


def test_modal_values_over_their_field_limit_are_refused() -> None:
    assert "4001 characters (limit 4000)" in refused("POST", CALLBACK, modal("s" * 4001))
    assert "301 characters (limit 300)" in refused("POST", CALLBACK, modal("s" * 301, 300))
    assert "max_length: above 4000" in refused("POST", CALLBACK, modal("s", 4001))
    accepted("POST", CALLBACK, modal("s" * 4000))


def autocomplete(*choices: dict[str, str]) -> dict[str, Any]:
    return {"type": 8, "data": {"choices": list(choices)}}


def test_autocomplete_answers_are_checked() -> None:
    assert "26 choices" in refused("POST", CALLBACK, autocomplete(*[choice()] * 26))
    assert "name: 101" in refused("POST", CALLBACK, autocomplete(choice(name="n" * 101)))
    assert "name: must be at least" in refused("POST", CALLBACK, autocomplete(choice(name="")))
    assert "value: 101" in refused("POST", CALLBACK, autocomplete(choice(value="v" * 101)))
    accepted("POST", CALLBACK, autocomplete(*[choice("n" * 100, "v" * 100)] * 25))


def test_messages_over_the_limits_or_able_to_ping_are_refused() -> None:
    quiet: dict[str, Any] = {"allowed_mentions": {"parse": []}}
    answer = {"type": 4, "data": {"content": "x" * 2001, **quiet}}
    assert "content: 2001 characters" in refused("POST", CALLBACK, answer)
    followup = "/webhooks/1/tok"
    assert "allowed_mentions" in refused("POST", followup, {"content": "hi"})
    edit = f"{followup}/messages/@original"
    assert "embeds[0].title" in refused("PATCH", edit, {"embeds": [{"title": "t" * 257}], **quiet})
    accepted("POST", "/channels/5/messages", {"embeds": [{"title": "t"}], **quiet})
    post = {"name": "Digest", "message": {"content": "x" * 2001, **quiet}}
    assert "content: 2001 characters" in refused("POST", "/channels/5/threads", post)


async def test_the_running_bot_gets_discords_refusal(world: World) -> None:
    """End to end: a request the real discord.py client sends is refused as Discord would."""
    channel = world.env.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001, allowed_mentions=discord.AllowedMentions.none())
    assert caught.value.code == 50035
    log = world.env.backend.http_requests
    assert isinstance(log, CheckedRequests) and len(log.refused) == 1
    log.refused.clear()  # seen: the test would fail at teardown otherwise
