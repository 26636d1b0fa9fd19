"""Configuration from the environment and an optional `.env` file.

Every variable has one declared default; only `DISCORD_TOKEN` is needed, and only by `run`.
An invalid value raises `ConfigError` whose message names the variable in one line.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.redaction import RedactSecrets

DEFAULT_DATABASE_PATH = Path("data") / "briefbot.sqlite3"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_METRICS_HOST = "127.0.0.1"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What @BotFather hands out: the bot's numeric id, a colon, then the secret part.
TELEGRAM_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """The bot's configuration, validated."""

    discord_token: str | None = None
    database_path: Path = DEFAULT_DATABASE_PATH
    # DATABASE_URL (PostgreSQL): when set, the database every process shares; DATABASE_PATH
    # is then not used (`database_path_unused` says the operator set it anyway).
    database_url: str | None = None
    database_path_unused: bool = False
    editor_ids: frozenset[int] = field(default_factory=frozenset)
    default_timezone: str = "UTC"
    dev_guild_id: int | None = None
    templates_dir: Path | None = None
    log_level: str = "INFO"
    # The Telegram front end: see `_telegram_values`.
    telegram_token: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    telegram_editor_ids: frozenset[int] = field(default_factory=frozenset)
    # May feeds live on private or loopback addresses (FEEDS_ALLOW_PRIVATE)? Off: a moderator
    # must not be able to make the bot probe the host's own network.
    feeds_allow_private: bool = False
    # Discord shards across processes (DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS): None runs
    # the single connection of today; a count alone runs every shard in this process.
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] | None = None
    # /healthz and /metrics (METRICS_PORT, METRICS_HOST): off unless a port is set.
    metrics_port: int | None = None
    metrics_host: str = DEFAULT_METRICS_HOST

    @property
    def database(self) -> Path | str:
        """What to open: the PostgreSQL URL when DATABASE_URL is set, else the SQLite file."""
        return self.database_url if self.database_url is not None else self.database_path

    @property
    def database_label(self) -> str:
        """The database as it may be logged or printed: the URL without its password, or
        the SQLite file as an absolute path (a relative DATABASE_PATH depends on the folder
        briefbot runs in)."""
        if self.database_url is not None:
            return redacted_url(self.database_url)
        return str(Path(self.database_path).resolve())

    @property
    def database_in_use(self) -> str:
        """`database_label`, saying so when DATABASE_PATH is set too and DATABASE_URL wins."""
        if self.database_path_unused:
            return f"{self.database_label} (DATABASE_URL wins: DATABASE_PATH is set but not used)"
        return self.database_label

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What no log line may show: the tokens and the database password (as written in
        the URL and decoded)."""
        password = urlsplit(self.database_url).password if self.database_url else None
        return (
            self.discord_token,
            self.telegram_token,
            password,
            unquote(password) if password else None,
        )

    @property
    def syncs_commands(self) -> bool:
        """Whether this process publishes the slash commands to Discord: the one running
        shard 0 (every process of a deployment would otherwise sync the same tree and spend
        Discord's daily command-creation allowance)."""
        return self.discord_shard_ids is None or 0 in self.discord_shard_ids

    def require_token(self) -> str:
        """Return the Discord token or explain exactly what is missing."""
        if not self.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env "
                "(see .env.example and the README's 'Creating the Discord application')"
            )
        return self.discord_token


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file with python-dotenv (quotes, `export`, inline `# comments`).

    python-dotenv, not pydantic-settings: it only reads the file, so every variable keeps
    its own validator and its one-line error below; pydantic-settings would turn them into
    multi-line validation reports and parse lists as JSON.
    """
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # only with a .env file: ~4 ms of a cold start

    try:
        values = dotenv_values(path, encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    return {k: v for k, v in values.items() if v is not None}


def _snowflake(name: str, text: str) -> int:
    # isascii: str.isdigit accepts '²' and other digits int() refuses.
    if not (text.isascii() and text.isdigit()) or not 15 <= len(text) <= 21 or int(text) >= 2**63:
        raise ConfigError(f"{name}: {text!r} is not a Discord id (a number of 15 to 21 digits)")
    return int(text)


def _telegram_user(name: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 15 or int(text) == 0:
        raise ConfigError(f"{name}: {text!r} is not a Telegram user id (a number)")
    return int(text)


def id_list(name: str, text: str | None, parse: Callable[[str, str], int]) -> frozenset[int]:
    """A comma-separated list of ids, each checked by `parse(name, part)`."""
    return frozenset(parse(name, part.strip()) for part in (text or "").split(",") if part.strip())


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build `Settings` from `.env` overlaid by the environment (the environment wins)."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    editors = id_list("EDITOR_IDS", get("EDITOR_IDS"), _snowflake)
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
    url = get("DATABASE_URL")
    if url is not None:
        check_database_url(url)
    return Settings(
        discord_token=get("DISCORD_TOKEN"),
        database_path=Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
        database_url=url,
        database_path_unused=url is not None and get("DATABASE_PATH") is not None,
        editor_ids=editors,
        default_timezone=tz,
        dev_guild_id=_snowflake("DEV_GUILD_ID", dev_guild) if dev_guild else None,
        templates_dir=Path(templates) if templates else None,
        log_level=level,
        feeds_allow_private=_flag("FEEDS_ALLOW_PRIVATE", get("FEEDS_ALLOW_PRIVATE")),
        **_telegram_values(get),
        **_shard_values(get("DISCORD_SHARD_COUNT"), get("DISCORD_SHARD_IDS")),
        **_metrics_values(get),
    )


_URL_SHAPE = "postgresql://user:password@host:5432/database"


def check_database_url(url: str) -> None:
    """Refuse, in one line naming DATABASE_URL, a value that is not a PostgreSQL URL with a
    database name and a usable port. The value is never echoed: it holds a password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError(
            f"DATABASE_URL: is not a valid URL (a bad port or host?); expected {_URL_SHAPE}"
        ) from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"DATABASE_URL: is not a PostgreSQL URL; expected {_URL_SHAPE} (for SQLite, "
            "unset DATABASE_URL and set DATABASE_PATH)"
        )
    if port == 0:
        raise ConfigError(f"DATABASE_URL: port 0 is not a port; expected {_URL_SHAPE}")
    if not parts.path.strip("/") or "/" in parts.path.strip("/"):
        raise ConfigError(
            f"DATABASE_URL: names no database (the part after the last /); expected {_URL_SHAPE}"
        )
    if any(ch.isspace() for ch in url):
        raise ConfigError(f"DATABASE_URL: contains a space; expected {_URL_SHAPE}")


def redacted_url(url: str) -> str:
    """A database URL as it may be shown or logged: scheme, user, host, port and database,
    never the password (nor the query, whose options may carry one)."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _count(name: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        raise ConfigError(f"{name}: {text!r} is not a positive whole number")
    return int(text)


def _shard_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise ConfigError(
            f"DISCORD_SHARD_IDS: {text!r} is not a shard number (a list such as 0,1 or a "
            "range such as 0-3)"
        )
    return int(text)


def shard_ids(text: str, count: int) -> tuple[int, ...]:
    """`0,1`, `0-3` or both mixed (`0-2,5`): every id below `count`, none twice."""
    ids: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        first, dash, last = part.partition("-")
        if dash:
            start, end = _shard_id(first.strip()), _shard_id(last.strip())
            if start > end:
                raise ConfigError(
                    f"DISCORD_SHARD_IDS: {part!r} is a range that ends before it starts"
                )
            ids.extend(range(start, end + 1))
        else:
            ids.append(_shard_id(part))
    too_big = [i for i in ids if i >= count]
    if too_big:
        raise ConfigError(
            f"DISCORD_SHARD_IDS: shard {too_big[0]} does not exist with DISCORD_SHARD_COUNT="
            f"{count} (shards are numbered 0 to {count - 1})"
        )
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConfigError(f"DISCORD_SHARD_IDS: shard {twice[0]} is listed twice")
    return tuple(ids)


def _shard_values(count_text: str | None, ids_text: str | None) -> dict[str, Any]:
    """DISCORD_SHARD_COUNT (shards across every process) and DISCORD_SHARD_IDS (those this
    process runs); the ids alone mean nothing, so they are refused without the count."""
    if count_text is None:
        if ids_text is not None:
            raise ConfigError(
                "DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT, the number of shards across "
                "every process"
            )
        return {}
    count = _count("DISCORD_SHARD_COUNT", count_text)
    return {
        "discord_shard_count": count,
        "discord_shard_ids": shard_ids(ids_text, count) if ids_text is not None else None,
    }


def _metrics_values(get: Callable[[str], str | None]) -> dict[str, Any]:
    """METRICS_PORT (unset: no metrics server) and METRICS_HOST (loopback by default: the
    metrics name servers and processes, not for the open internet)."""
    port_text = get("METRICS_PORT")
    port = None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise ConfigError(f"METRICS_PORT: {port_text!r} is not a port (1 to 65535)")
        port = int(port_text)
    return {"metrics_port": port, "metrics_host": get("METRICS_HOST") or DEFAULT_METRICS_HOST}


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(name: str, text: str | None) -> bool:
    """A yes/no variable; unset is no."""
    value = (text or "false").lower()
    if value not in _TRUE + _FALSE:
        raise ConfigError(f"{name}: {text!r} is not true or false")
    return value in _TRUE


def _telegram_values(get: Callable[[str], str | None]) -> dict[str, Any]:
    """TELEGRAM_TOKEN, TELEGRAM_API_URL (python-telegram-bot's `base_url`: everything before
    the token) and TELEGRAM_EDITOR_IDS (Telegram user ids who curate the global catalogue)."""
    url = get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL
    if not url.startswith(("https://", "http://")):
        raise ConfigError(
            f"TELEGRAM_API_URL: {url!r} is not an http(s) URL "
            "(the base URL up to the token, e.g. http://localhost:8081/bot)"
        )
    editors = id_list("TELEGRAM_EDITOR_IDS", get("TELEGRAM_EDITOR_IDS"), _telegram_user)
    token = get("TELEGRAM_TOKEN")
    if token is not None and not TELEGRAM_TOKEN_SHAPE.fullmatch(token):
        # The value itself is never echoed: it is (nearly) a secret.
        raise ConfigError(
            "TELEGRAM_TOKEN: is not a Telegram bot token (digits, a colon, then letters and "
            "digits, e.g. 123456789:AAE…; copy it again from @BotFather)"
        )
    return {
        "telegram_token": token,
        "telegram_api_url": url,
        "telegram_editor_ids": editors,
    }


# Third-party loggers that say too much for an operator: httpx logs every request URL (and
# Telegram's contain the token) at INFO. They speak at DEBUG only when the operator asks.
CHATTY_LOGGERS = ("httpx", "httpcore")
_OURS = "_briefbot_handler"


def configure_logging(
    level: str, *, secrets: Iterable[str | None] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """Log as `time level logger: message` to stderr (or `stream`), every record masked of
    tokens (`bot.redaction`): the configured `secrets` and anything shaped like one.

    The filter sits on the root handler, so third-party records pass through it too.
    Calling it again replaces the handler it installed before.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    setattr(handler, _OURS, True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    chatty = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty)
    return handler
