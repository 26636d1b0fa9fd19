"""Configuration from the environment and an optional `.env` file.

Every variable has one declared default; only `DISCORD_TOKEN` is needed, and only by `run`.
An invalid value raises `ConfigError` whose message names the variable in one line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_PATH = Path("data") / "briefbot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """The bot's configuration, validated."""

    discord_token: str | None = None
    database_path: Path = DEFAULT_DATABASE_PATH
    editor_ids: frozenset[int] = field(default_factory=frozenset)
    default_timezone: str = "UTC"
    dev_guild_id: int | None = None
    templates_dir: Path | None = None
    log_level: str = "INFO"
    # --- feeds (issue 11) ---
    feeds_allow_private: bool = False  # FEEDS_ALLOW_PRIVATE: may feeds be on local addresses

    def require_token(self) -> str:
        """Return the Discord token or explain exactly what is missing."""
        if not self.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env "
                "(see .env.example and the README's 'Creating the Discord application')"
            )
        return self.discord_token


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file: KEY=VALUE lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def _snowflake(name: str, text: str) -> int:
    if not text.isdigit() or not 15 <= len(text) <= 21:
        raise ConfigError(f"{name}: {text!r} is not a Discord id (a number of 15 to 21 digits)")
    return int(text)


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build `Settings` from `.env` overlaid by the environment (the environment wins)."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    editors = frozenset(
        _snowflake("EDITOR_IDS", part.strip())
        for part in (get("EDITOR_IDS") or "").split(",")
        if part.strip()
    )
    tz = get("DEFAULT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"DEFAULT_TIMEZONE: {tz!r} is not an IANA time zone (e.g. UTC, Asia/Seoul)"
        ) from None
    dev_guild = get("DEV_GUILD_ID")
    templates = get("TEMPLATES_DIR")
    if templates and not Path(templates).is_dir():
        raise ConfigError(f"TEMPLATES_DIR: {templates!r} is not a folder")
    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: {level!r} is not one of {', '.join(LOG_LEVELS)}")
    # --- feeds (issue 11) ---
    allow_private = (get("FEEDS_ALLOW_PRIVATE") or "false").lower()
    if allow_private not in ("1", "0", "true", "false", "yes", "no"):
        raise ConfigError(f"FEEDS_ALLOW_PRIVATE: {allow_private!r} is not true or false")
    return Settings(
        feeds_allow_private=allow_private in ("1", "true", "yes"),
        discord_token=get("DISCORD_TOKEN"),
        database_path=Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
        editor_ids=editors,
        default_timezone=tz,
        dev_guild_id=_snowflake("DEV_GUILD_ID", dev_guild) if dev_guild else None,
        templates_dir=Path(templates) if templates else None,
        log_level=level,
    )


def configure_logging(level: str) -> None:
    """Log as `time level logger key=value message`, to stderr."""
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
