"""A Telegram front end in a process of its own, for the kill -9 test: the real
`TelegramBot` on a shared database (a SQLite path or a PostgreSQL URL), polling the fake Bot
API when it holds the poller's lock. Prints "polling" or "standing by" once started, then
runs until killed.

    python -m tests.telegram.poller_process --db PATH_OR_URL --api http://127.0.0.1:PORT/bot
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import cast

from bot.config import Settings
from bot.services import Services, open_services
from bot.telegram.app import TelegramBot
from bot.telegram.common import TelegramConfig
from harness.fake_telegram import TOKEN
from storage.contract import is_postgres_url
from storage.postgres.database import PostgresDatabase
from storage.sqlite.database import Database
from tests.telegram.conftest import EDITOR_TG


async def run(db: str, api: str) -> None:
    if is_postgres_url(db):
        # Services are typed for SQLite until the PostgreSQL wiring lands.
        services = Services(Settings(), cast(Database, await PostgresDatabase.open(db)))
    else:
        services = await open_services(Settings(database_path=Path(db)))
    config = TelegramConfig(token=TOKEN, api_url=api, editor_ids=frozenset({EDITOR_TG}))
    bot = TelegramBot(services, config, poll_retry=0.05)
    await bot.start(poll_timeout=1, digests=False)
    print("polling" if bot.polling else "standing by", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--api", required=True)
    args = parser.parse_args()
    asyncio.run(run(args.db, args.api))


if __name__ == "__main__":
    main()
