"""What Discord refuses, as checks over request bodies (HTTP API v10).

The limits are copied from Discord's public OpenAPI description (`discord/discord-api-spec`,
`specs/openapi.json`) and the documented limits on top of it (a bot's message content is
2,000 characters although the schema allows 4,000; an embed's texts count towards 6,000).
The fake Discord (`harness.fake_discord`) refuses a message that breaks them, and the test
suite checks every request the bot sends through SimCord against them (see
`tests/discord/conftest.py`), so a new over-limit field fails a test instead of production.

Every `check_*` function returns the problems found (empty when Discord would accept).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
EMBED_URL_MAX = 2048
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
SELECT_OPTIONS_MAX = 25
SELECT_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
LABEL_MAX = 45
LABEL_DESCRIPTION_MAX = 100
TEXT_INPUT_MAX = 4000
TEXT_PLACEHOLDER_MAX = 100
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100  # autocomplete and string choices (Discord's documented limit)
COMMANDS_MAX = 100
LOCALES = frozenset(
    [
        "ar",
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en-GB",
        "en-US",
        "es-419",
        "es-ES",
        "fi",
        "fr",
        "he",
        "hi",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "ru",
        "sv-SE",
        "th",
        "tr",
        "uk",
        "vi",
        "zh-CN",
        "zh-TW",
    ]
)
#: the keys a message body may carry (MessageCreateRequest, and the edit / interaction forms)
MESSAGE_KEYS = frozenset(
    {
        "content",
        "embeds",
        "allowed_mentions",
        "components",
        "flags",
        "attachments",
        "sticker_ids",
        "poll",
        "message_reference",
        "nonce",
        "enforce_nonce",
        "tts",
        "shared_client_theme",
        # webhook / interaction followups
        "username",
        "avatar_url",
        "thread_name",
        "applied_tags",
        "thread_id",
    }
)
EMBED_KEYS = frozenset(
    {
        "type",
        "url",
        "title",
        "color",
        "timestamp",
        "description",
        "author",
        "image",
        "thumbnail",
        "footer",
        "fields",
        "provider",
        "video",
        "flags",  # discord.py 2.6 sends the embed's flags (Discord's newer embed object)
    }
)
_BUTTON, _ACTION_ROW, _STRING_SELECT, _TEXT_INPUT, _LABEL = 2, 1, 3, 4, 18
_SELECTS = {3, 5, 6, 7, 8}


def _too_long(problems: list[str], where: str, value: Any, limit: int, *, least: int = 0) -> None:
    text = "" if value is None else str(value)
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} characters (limit {limit})")
    elif len(text) < least:
        problems.append(f"{where}: must be at least {least} character(s)")


def check_embed(embed: Mapping[str, Any], where: str = "embed") -> tuple[list[str], int]:
    """Problems of one embed, and its count towards the 6,000-character total."""
    problems: list[str] = []
    unknown = sorted(set(embed) - EMBED_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {unknown}")
    _too_long(problems, f"{where}.title", embed.get("title"), EMBED_TITLE_MAX)
    _too_long(problems, f"{where}.description", embed.get("description"), EMBED_DESCRIPTION_MAX)
    _too_long(problems, f"{where}.url", embed.get("url"), EMBED_URL_MAX)
    footer = embed.get("footer") or {}
    author = embed.get("author") or {}
    _too_long(problems, f"{where}.footer.text", footer.get("text"), EMBED_FOOTER_MAX)
    _too_long(problems, f"{where}.author.name", author.get("name"), EMBED_AUTHOR_MAX)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        problems.append(f"{where}: {len(fields)} fields (limit {EMBED_FIELDS_MAX})")
    size = sum(
        len(str(v or ""))
        for v in (
            embed.get("title"),
            embed.get("description"),
            footer.get("text"),
            author.get("name"),
        )
    )
    for n, f in enumerate(fields):
        name, value = f.get("name"), f.get("value")
        _too_long(problems, f"{where}.fields[{n}].name", name, EMBED_FIELD_NAME_MAX, least=1)
        _too_long(problems, f"{where}.fields[{n}].value", value, EMBED_FIELD_VALUE_MAX, least=1)
        size += len(str(name or "")) + len(str(value or ""))
    return problems, size


def _check_button(problems: list[str], where: str, button: Mapping[str, Any]) -> None:
    _too_long(problems, f"{where}.label", button.get("label"), BUTTON_LABEL_MAX)
    if button.get("style") == 5:
        if not button.get("url") or "custom_id" in button:
            problems.append(f"{where}: a link button needs a url and no custom_id")
        _too_long(problems, f"{where}.url", button.get("url"), BUTTON_URL_MAX)
    elif button.get("style") != 6:
        if not button.get("custom_id") or "url" in button:
            problems.append(f"{where}: a button needs a custom_id and no url")
        _too_long(problems, f"{where}.custom_id", button.get("custom_id"), CUSTOM_ID_MAX)
    if not button.get("label") and not button.get("emoji"):
        problems.append(f"{where}: a button needs a label or an emoji")


def _check_select(problems: list[str], where: str, select: Mapping[str, Any]) -> None:
    _too_long(problems, f"{where}.custom_id", select.get("custom_id"), CUSTOM_ID_MAX, least=1)
    _too_long(problems, f"{where}.placeholder", select.get("placeholder"), SELECT_PLACEHOLDER_MAX)
    if select.get("type") != _STRING_SELECT:
        return
    options = select.get("options") or []
    if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
        problems.append(f"{where}: {len(options)} options (1 to {SELECT_OPTIONS_MAX})")
    for n, option in enumerate(options):
        for key in ("label", "value"):
            _too_long(problems, f"{where}.options[{n}].{key}", option.get(key), 100, least=1)
        _too_long(problems, f"{where}.options[{n}].description", option.get("description"), 100)
    if int(select.get("max_values", 1)) > max(1, len(options)):
        problems.append(f"{where}: max_values above the number of options")


def check_components(components: Any, where: str = "components") -> list[str]:
    """Problems of a message's components (action rows of buttons or one select)."""
    problems: list[str] = []
    rows = components or []
    if len(rows) > ACTION_ROWS_MAX:
        problems.append(f"{where}: {len(rows)} action rows (limit {ACTION_ROWS_MAX})")
    for r, row in enumerate(rows):
        at = f"{where}[{r}]"
        if row.get("type") != _ACTION_ROW:
            problems.append(f"{at}: a message's top-level component must be an action row")
            continue
        children = row.get("components") or []
        kinds = {c.get("type") for c in children}
        if not children:
            problems.append(f"{at}: an empty action row")
        elif kinds & _SELECTS and len(children) > 1:
            problems.append(f"{at}: a select menu must be alone in its row")
        elif len(children) > ROW_BUTTONS_MAX:
            problems.append(f"{at}: {len(children)} buttons (limit {ROW_BUTTONS_MAX})")
        for c, child in enumerate(children):
            if child.get("type") == _BUTTON:
                _check_button(problems, f"{at}.components[{c}]", child)
            elif child.get("type") in _SELECTS:
                _check_select(problems, f"{at}.components[{c}]", child)
            else:
                problems.append(f"{at}.components[{c}]: type {child.get('type')} not allowed here")
    return problems


def check_message(body: Mapping[str, Any], *, edit: bool = False) -> list[str]:
    """Problems of a message body (create, edit, interaction answer or followup)."""
    problems: list[str] = []
    unknown = sorted(set(body) - MESSAGE_KEYS)
    if unknown:
        problems.append(f"message: unknown field(s) {unknown}")
    _too_long(problems, "content", body.get("content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"embeds: {len(embeds)} (limit {EMBEDS_MAX})")
    total = 0
    for n, embed in enumerate(embeds):
        found, size = check_embed(embed, f"embeds[{n}]")
        problems += found
        total += size
    if total > EMBED_TOTAL_MAX:
        problems.append(f"embeds: {total} characters in all (limit {EMBED_TOTAL_MAX})")
    problems += check_components(body.get("components"))
    carries = ("content", "embeds", "components", "attachments", "sticker_ids", "poll")
    if not edit and not any(body.get(key) for key in carries):
        problems.append("message: empty (no content, embeds, components or files)")
    return problems


def _is_name_char(ch: str) -> bool:
    return ch in "-_" or unicodedata.category(ch)[0] in "LN"


def check_name(name: Any, where: str) -> list[str]:
    """A command or option name: ^[-_\\p{L}\\p{N}]{1,32}$, lowercase where it has a case."""
    text = str(name or "")
    if not 1 <= len(text) <= COMMAND_NAME_MAX or not all(_is_name_char(c) for c in text):
        return [f"{where}: {text!r} must match ^[-_\\p{{L}}\\p{{N}}]{{1,32}}$"]
    if text != text.lower():
        return [f"{where}: {text!r} must be lowercase"]
    return []


def _check_localizations(problems: list[str], where: str, value: Any, limit: int) -> None:
    for locale, text in (value or {}).items():
        if locale not in LOCALES:
            problems.append(f"{where}: {locale!r} is not a Discord locale")
        _too_long(problems, f"{where}[{locale}]", text, limit, least=1)


def _check_option(problems: list[str], where: str, option: Mapping[str, Any]) -> None:
    problems += check_name(option.get("name"), f"{where}.name")
    for locale, text in (option.get("name_localizations") or {}).items():
        problems += check_name(text, f"{where}.name_localizations[{locale}]")
    _check_localizations(
        problems, f"{where}.name_localizations", option.get("name_localizations"), 32
    )
    _too_long(problems, f"{where}.description", option.get("description"), 100, least=1)
    _check_localizations(
        problems, f"{where}.description_localizations", option.get("description_localizations"), 100
    )
    choices = option.get("choices") or []
    if len(choices) > CHOICES_MAX:
        problems.append(f"{where}: {len(choices)} choices (limit {CHOICES_MAX})")
    if choices and option.get("autocomplete"):
        problems.append(f"{where}: choices and autocomplete together")
    for n, choice in enumerate(choices):
        _too_long(problems, f"{where}.choices[{n}].name", choice.get("name"), 100, least=1)
        if isinstance(choice.get("value"), str):
            _too_long(problems, f"{where}.choices[{n}].value", choice["value"], CHOICE_VALUE_MAX)
        _check_localizations(
            problems,
            f"{where}.choices[{n}].name_localizations",
            choice.get("name_localizations"),
            100,
        )
    sub = option.get("options") or []
    if len(sub) > COMMAND_OPTIONS_MAX:
        problems.append(f"{where}: {len(sub)} options (limit {COMMAND_OPTIONS_MAX})")
    for n, child in enumerate(sub):
        _check_option(problems, f"{where}.options[{n}]", child)


def check_command(command: Mapping[str, Any], where: str = "command") -> list[str]:
    """Problems of one application command as registered (PUT .../commands)."""
    problems: list[str] = []
    where = f"{where} {command.get('name')!r}"
    if command.get("type", 1) != 1:  # user and message commands: free-form names
        _too_long(problems, f"{where}.name", command.get("name"), COMMAND_NAME_MAX, least=1)
        return problems
    _check_option(problems, where, command)
    return problems


def check_commands(commands: Any) -> list[str]:
    """Problems of a bulk command registration."""
    problems: list[str] = []
    listed = list(commands or [])
    if len(listed) > COMMANDS_MAX:
        problems.append(f"commands: {len(listed)} (limit {COMMANDS_MAX})")
    for n, command in enumerate(listed):
        problems += check_command(command, f"commands[{n}]")
    return problems


def _check_modal_child(problems: list[str], where: str, node: Mapping[str, Any]) -> None:
    kind = node.get("type")
    if kind == _LABEL:
        _too_long(problems, f"{where}.label", node.get("label"), LABEL_MAX, least=1)
        _too_long(problems, f"{where}.description", node.get("description"), LABEL_DESCRIPTION_MAX)
        _check_modal_child(problems, f"{where}.component", node.get("component") or {})
    elif kind == _ACTION_ROW:
        for n, child in enumerate(node.get("components") or []):
            _check_modal_child(problems, f"{where}.components[{n}]", child)
    elif kind == _TEXT_INPUT:
        _too_long(problems, f"{where}.custom_id", node.get("custom_id"), CUSTOM_ID_MAX, least=1)
        _too_long(problems, f"{where}.label", node.get("label"), LABEL_MAX)
        _too_long(problems, f"{where}.placeholder", node.get("placeholder"), TEXT_PLACEHOLDER_MAX)
        limit = min(TEXT_INPUT_MAX, int(node.get("max_length") or TEXT_INPUT_MAX))
        if int(node.get("max_length") or 0) > TEXT_INPUT_MAX:
            problems.append(f"{where}.max_length: above {TEXT_INPUT_MAX}")
        _too_long(problems, f"{where}.value", node.get("value"), limit)
    elif kind in _SELECTS:
        _check_select(problems, where, node)


def check_modal(data: Mapping[str, Any]) -> list[str]:
    """Problems of a modal (interaction callback type 9)."""
    problems: list[str] = []
    _too_long(problems, "modal.title", data.get("title"), MODAL_TITLE_MAX, least=1)
    _too_long(problems, "modal.custom_id", data.get("custom_id"), CUSTOM_ID_MAX, least=1)
    components = data.get("components") or []
    if not 1 <= len(components) <= MODAL_COMPONENTS_MAX:
        problems.append(f"modal: {len(components)} components (1 to {MODAL_COMPONENTS_MAX})")
    for n, node in enumerate(components):
        _check_modal_child(problems, f"modal.components[{n}]", node)
    return problems


def check_autocomplete(data: Mapping[str, Any]) -> list[str]:
    """Problems of an autocomplete answer (interaction callback type 8)."""
    problems: list[str] = []
    choices = data.get("choices") or []
    if len(choices) > CHOICES_MAX:
        problems.append(f"autocomplete: {len(choices)} choices (limit {CHOICES_MAX})")
    for n, choice in enumerate(choices):
        _too_long(problems, f"autocomplete[{n}].name", choice.get("name"), CHOICE_NAME_MAX, least=1)
        if isinstance(choice.get("value"), str):
            _too_long(problems, f"autocomplete[{n}].value", choice["value"], CHOICE_VALUE_MAX)
    return problems


def check_interaction_callback(body: Mapping[str, Any]) -> list[str]:
    """Problems of an answer to an interaction (POST /interactions/{id}/{token}/callback)."""
    kind, data = body.get("type"), body.get("data") or {}
    if kind == 9:
        return check_modal(data)
    if kind == 8:
        return check_autocomplete(data)
    if kind in (4, 7) or (kind == 5 and data):
        return check_message(data, edit=kind == 7 or kind == 5)
    return []


_THREADS = re.compile(r"^/channels/\d+/threads$")
_COMMANDS = re.compile(r"^/applications/\d+(?:/guilds/\d+)?/commands$")
_CALLBACK = re.compile(r"^/interactions/\d+/[^/]+/callback$")
_MESSAGE = re.compile(
    r"^/(?:channels/\d+/messages|webhooks/\d+/[^/]+)(?:/(?:messages/)?(\d+|@original))?$"
)


def check_request(method: str, path: str, body: Any) -> list[str]:
    """Problems of one HTTP request the bot sends (its route decides which rules apply)."""
    if not isinstance(body, Mapping | list):
        return []
    if method == "PUT" and _COMMANDS.match(path):
        return check_commands(body)
    if method in ("POST", "PATCH") and isinstance(body, Mapping):
        if _COMMANDS.match(path):
            return check_command(body)
        if _CALLBACK.match(path):
            return check_interaction_callback(body)
        if _MESSAGE.match(path):
            return check_message(body, edit=method == "PATCH")
        if _THREADS.match(path) and isinstance(body.get("message"), Mapping):
            return check_message(body["message"])  # a forum post's first message
    return []
