"""Configuration: defaults, .env overlay, and one clear error naming each bad variable."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.config import (
    CHATTY_LOGGERS,
    DEFAULT_DATABASE_PATH,
    ConfigError,
    configure_logging,
    load_settings,
    read_dotenv,
)


def test_defaults_need_nothing() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.discord_token is None
    assert settings.database_path == DEFAULT_DATABASE_PATH
    assert settings.editor_ids == frozenset()
    assert settings.default_timezone == "UTC"
    assert settings.dev_guild_id is None
    assert settings.templates_dir is None
    assert settings.log_level == "INFO"
    assert settings.feeds_allow_private is False


def test_values_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": " abc.def ",
            "DATABASE_PATH": str(tmp_path / "x.sqlite3"),
            "EDITOR_IDS": "123456789012345678, 223456789012345678",
            "DEFAULT_TIMEZONE": "Asia/Seoul",
            "DEV_GUILD_ID": "323456789012345678",
            "TEMPLATES_DIR": str(tmp_path),
            "LOG_LEVEL": "debug",
            "FEEDS_ALLOW_PRIVATE": "Yes",
        },
        dotenv=None,
    )
    assert settings.discord_token == "abc.def"
    assert settings.database_path == tmp_path / "x.sqlite3"
    assert settings.editor_ids == {123456789012345678, 223456789012345678}
    assert settings.default_timezone == "Asia/Seoul"
    assert settings.dev_guild_id == 323456789012345678
    assert settings.templates_dir == tmp_path
    assert settings.log_level == "DEBUG"
    assert settings.feeds_allow_private is True


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        "export DISCORD_TOKEN='from-file'\n"
        'DEFAULT_TIMEZONE="Asia/Tokyo"\n'
        "not a line\n"
        "LOG_LEVEL=warning\n",
        encoding="utf-8",
    )
    assert read_dotenv(env_file)["DISCORD_TOKEN"] == "from-file"
    settings = load_settings({"LOG_LEVEL": "ERROR"}, dotenv=env_file)
    assert settings.discord_token == "from-file"
    assert settings.default_timezone == "Asia/Tokyo"
    assert settings.log_level == "ERROR"
    assert read_dotenv(tmp_path / "missing.env") == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EDITOR_IDS", "abc"),
        ("EDITOR_IDS", "123456789012345678,12"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("DEFAULT_TIMEZONE", "../../etc/passwd"),
        ("LOG_LEVEL", "LOUD"),
        ("DEV_GUILD_ID", "guild"),
        ("TEMPLATES_DIR", "/nonexistent/templates"),
        ("FEEDS_ALLOW_PRIVATE", "maybe"),
    ],
)
def test_invalid_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({name: value}, dotenv=None)
    message = str(err.value)
    assert message.startswith(f"{name}:")
    assert "\n" not in message


def test_require_token_names_discord_token() -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings({}, dotenv=None).require_token()
    assert load_settings({"DISCORD_TOKEN": "t"}, dotenv=None).require_token() == "t"


def test_dotenv_inline_comments_and_quotes(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DEFAULT_TIMEZONE=Asia/Seoul # where the desk sits\n"
        "LOG_LEVEL='debug'  # quoted, then a comment\n"
        'DISCORD_TOKEN="a#b"\n',
        encoding="utf-8",
    )
    settings = load_settings({}, dotenv=env_file)
    assert settings.default_timezone == "Asia/Seoul"
    assert settings.log_level == "DEBUG"
    assert settings.discord_token == "a#b"


def test_dotenv_not_utf8_is_one_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"LOG_LEVEL=caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        load_settings({}, dotenv=env_file)
    assert str(err.value) == f"{env_file}: is not UTF-8 text; save it as UTF-8"


@pytest.mark.parametrize(
    "value", ["²²²²²²²²²²²²²²²²²²", "٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣", "99999999999999999999"]
)
def test_editor_ids_only_take_ascii_digits_that_fit(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"EDITOR_IDS": value}, dotenv=None)
    assert str(err.value).startswith("EDITOR_IDS:")


@pytest.mark.parametrize("token", ["abc", "98765", "bot123:abc", "123:abc def", ":abc", "12a:xyz"])
def test_a_malformed_telegram_token_is_one_line_naming_it(token: str) -> None:
    with pytest.raises(ConfigError, match=r"^TELEGRAM_TOKEN: is not a Telegram bot token") as e:
        load_settings({"TELEGRAM_TOKEN": token}, dotenv=None)
    assert "\n" not in str(e.value) and token not in str(e.value)


def test_a_telegram_token_of_the_right_shape_is_kept() -> None:
    token = "7000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"
    assert load_settings({"TELEGRAM_TOKEN": token}, dotenv=None).telegram_token == token


@pytest.mark.parametrize(
    ("env", "count", "ids", "syncs"),
    [
        ({}, None, None, True),
        ({"DISCORD_SHARD_COUNT": "4"}, 4, None, True),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "2,3"}, 4, (2, 3), False),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "0-2"}, 4, (0, 1, 2), True),
        ({"DISCORD_SHARD_COUNT": "8", "DISCORD_SHARD_IDS": " 5-6 , 1 "}, 8, (5, 6, 1), False),
    ],
)
def test_shard_variables_choose_the_shards_and_who_syncs(
    env: dict[str, str], count: int | None, ids: tuple[int, ...] | None, syncs: bool
) -> None:
    settings = load_settings(env, dotenv=None)
    assert settings.discord_shard_count == count
    assert settings.discord_shard_ids == ids
    assert settings.syncs_commands is syncs


@pytest.mark.parametrize(
    ("env", "name", "words"),
    [
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT", "positive"),
        ({"DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT", "positive"),
        ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS", "needs DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0-2"}, "DISCORD_SHARD_IDS", "0 to 1"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "2"}, "DISCORD_SHARD_IDS", "shard 2"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1,0-2"}, "DISCORD_SHARD_IDS", "twice"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3-1"}, "DISCORD_SHARD_IDS", "ends"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "a,b"}, "DISCORD_SHARD_IDS", "'a'"),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "-1"}, "DISCORD_SHARD_IDS", "''"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT", "port"),
        ({"METRICS_PORT": "http"}, "METRICS_PORT", "port"),
    ],
)
def test_bad_shard_and_metrics_values_are_one_line_naming_the_variable(
    env: dict[str, str], name: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(env, dotenv=None)
    message = str(err.value)
    assert message.startswith(f"{name}:") and words in message
    assert "\n" not in message


def test_metrics_are_off_unless_a_port_is_set_and_listen_on_loopback() -> None:
    assert load_settings({}, dotenv=None).metrics_port is None
    settings = load_settings({"METRICS_PORT": "9108"}, dotenv=None)
    assert (settings.metrics_port, settings.metrics_host) == (9108, "127.0.0.1")
    other = load_settings({"METRICS_PORT": "9108", "METRICS_HOST": "0.0.0.0"}, dotenv=None)
    assert other.metrics_host == "0.0.0.0"


# --- DATABASE_URL: PostgreSQL instead of the SQLite file ---------------------------------------
PG_PASSWORD = "s3cret-pw"


def test_database_url_selects_postgresql_and_is_named_without_its_password() -> None:
    url = f"postgresql://bot:{PG_PASSWORD}@db.example.net:6543/briefbot"
    settings = load_settings({"DATABASE_URL": url}, dotenv=None)
    assert settings.database == url
    assert settings.database_label == "postgresql://bot@db.example.net:6543/briefbot"
    assert settings.database_in_use == settings.database_label  # DATABASE_PATH is not set
    assert PG_PASSWORD in settings.secrets  # masked in every log line
    # postgres:// (Heroku's spelling) and an IPv6 host are URLs too.
    other = load_settings({"DATABASE_URL": "postgres://bot@[::1]/briefbot"}, dotenv=None)
    assert other.database_label == "postgres://bot@[::1]/briefbot"


def test_without_database_url_the_sqlite_file_is_used(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "x.sqlite3")}, dotenv=None)
    assert settings.database == tmp_path / "x.sqlite3"
    assert settings.database_label == str((tmp_path / "x.sqlite3").resolve())
    assert settings.database_url is None


def test_with_both_the_url_wins_and_says_so(tmp_path: Path) -> None:
    settings = load_settings(
        {"DATABASE_URL": "postgresql://bot@db/briefbot", "DATABASE_PATH": str(tmp_path / "x")},
        dotenv=None,
    )
    assert settings.database == "postgresql://bot@db/briefbot"
    assert settings.database_in_use == (
        "postgresql://bot@db/briefbot (DATABASE_URL wins: DATABASE_PATH is set but not used)"
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (f"mysql://bot:{PG_PASSWORD}@db/briefbot", "is not a PostgreSQL URL"),
        (f"db.example.net/{PG_PASSWORD}", "is not a PostgreSQL URL"),
        (f"postgresql://bot:{PG_PASSWORD}@db:99999/briefbot", "bad port"),
        (f"postgresql://bot:{PG_PASSWORD}@db:port/briefbot", "bad port"),
        (f"postgresql://bot:{PG_PASSWORD}@db:0/briefbot", "port 0"),
        (f"postgresql://bot:{PG_PASSWORD}@[::1/briefbot", "not a valid URL"),
        (f"postgresql://bot:{PG_PASSWORD}@db:5432", "names no database"),
        (f"postgresql://bot:{PG_PASSWORD}@db/a/b", "names no database"),
        (f"postgresql://bot:{PG_PASSWORD} @db/briefbot", "contains a space"),
    ],
)
def test_a_malformed_database_url_is_one_line_naming_it_without_the_password(
    value: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": value}, dotenv=None)
    message = str(caught.value)
    assert message.startswith("DATABASE_URL: ") and words in message
    assert "\n" not in message
    assert PG_PASSWORD not in message and "postgresql://user:password@host:5432/database" in message


def test_the_database_password_is_masked_in_the_log() -> None:
    stream = io.StringIO()
    settings = load_settings(
        {"DATABASE_URL": f"postgresql://bot:{PG_PASSWORD}%21@db/briefbot"}, dotenv=None
    )
    root = logging.getLogger()
    level = root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    handler = configure_logging("INFO", secrets=settings.secrets, stream=stream)
    try:
        logging.getLogger("asyncpg.test").warning("connect failed for %s", settings.database)
        logging.getLogger("asyncpg.test").warning("password was %s!", PG_PASSWORD)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, old in chatty.items():
            logging.getLogger(name).setLevel(old)
    assert PG_PASSWORD not in stream.getvalue()
    assert "postgresql://bot:[REDACTED]@db/briefbot" in stream.getvalue()
