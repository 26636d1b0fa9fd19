"""Opening the application's shared parts: database (migrated, starter data loaded),
catalogue service and renderers. Used by the CLI and the Discord bot alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, cast

from bot.config import Settings
from bot.core.ask.semantic import SemanticIndex, semantic_available
from bot.core.catalogue import Catalogue
from bot.core.cooldowns import RateLimiter
from bot.core.dataset import load_starter
from bot.core.rendering import Renderer
from bot.core.scope_settings import ScopeSettingsService
from bot.domain.clock import Clock, system_clock
from storage.contract import PooledDb
from storage.sqlite.database import Database

if TYPE_CHECKING:
    from bot.core.ask.service import Asker
    from bot.core.digests.hub import DigestHub
    from bot.core.feeds.service import FeedService
    from bot.core.metrics import Metrics


@dataclass(frozen=True)
class Renderers:
    """The templates rendered for each output: Discord markdown and the plain terminal."""

    discord: Renderer
    terminal: Renderer


@dataclass
class Services:
    """Everything a front end needs, opened once per process."""

    settings: Settings
    db: PooledDb
    clock: Clock = system_clock
    catalogue: Catalogue = field(init=False)
    semantic: SemanticIndex | None = field(init=False)
    scope_settings: ScopeSettingsService = field(init=False)
    renderers: Renderers = field(init=False)
    limits: RateLimiter = field(init=False)

    @cached_property
    def metrics(self) -> Metrics:
        """This process's Prometheus counters, made on first use: a one-shot command never
        needs them (prometheus-client's import was a tenth of a cold `briefbot brief`)."""
        from bot.core.metrics import Metrics

        return Metrics()

    def __post_init__(self) -> None:
        self.catalogue = Catalogue(self.db, self.clock)
        self.semantic = SemanticIndex() if semantic_available() else None
        if self.semantic is not None:
            self.catalogue.listeners.append(self.semantic.on_saved)
        self.scope_settings = ScopeSettingsService(
            self.db, self.clock, self.settings.default_timezone
        )
        # Per person and per chat or server: the costly commands' allowances.
        self.limits = RateLimiter(self.clock)
        self.renderers = Renderers(
            discord=Renderer("discord", self.settings.templates_dir),
            terminal=Renderer("terminal", self.settings.templates_dir),
        )

    @cached_property
    def digests(self) -> DigestHub:
        """One engine and scheduler for every front end (made when first used: the
        scheduler library is not loaded by a CLI command that needs no digests)."""
        from bot.core.digests.hub import DigestHub

        # The delivery machinery is still typed against the SQLite class; it runs on either
        # backend through the same contract (its PostgreSQL sender is its own work).
        hub = DigestHub(cast("Database", self.db), self.clock)
        hub.engine.on_outcome = lambda platform, outcome: self.metrics.digest_outcome(
            platform, outcome.kind
        )
        return hub

    @cached_property
    def asker(self) -> Asker:
        """/ask: lexical, plus sentence embeddings when the `semantic` extra is installed
        (then developments added or edited are embedded as they are saved)."""
        from bot.core.ask.service import Asker

        # Typed against the SQLite class: /ask's lexical index is SQLite's FTS5 for now.
        return Asker(cast("Database", self.db), self.clock, self.semantic)

    @cached_property
    def feeds(self) -> FeedService:
        """Feeds and the review queue (built on first use: the CLI rarely needs aiohttp)."""
        from bot.core.feeds.fetch import Fetcher, FetchPolicy
        from bot.core.feeds.service import FeedService

        policy = FetchPolicy(allow_private=self.settings.feeds_allow_private)
        service = FeedService(self.db, self.catalogue, Fetcher(policy), self.clock)
        service.on_poll = self.metrics.feed_polled
        return service

    def scope_moved(self) -> None:
        """A scope's rows moved to a new id: caches naming scopes start again."""
        if "feeds" in self.__dict__:
            self.feeds.reset_index()

    async def close(self) -> None:
        """Close the feeds' HTTP session (if opened), stop /ask's background embedding
        and close the database."""
        if "feeds" in self.__dict__:
            await self.feeds.close()
        if self.semantic is not None:
            await self.semantic.close()
        await self.db.close()


# Read-only connections a running bot reads through (`storage.sqlite.database`): a slow search
# and a second search take two, plain reads always find the third. A CLI command opens
# none (one command per process).
BOT_READERS = 3


async def open_database(settings: Settings, *, readers: int = 0) -> PooledDb:
    """Open and migrate the configured database: PostgreSQL at DATABASE_URL (a connection
    pool) when it is set, else the SQLite file at DATABASE_PATH with `readers` read-only
    connections beside its writer."""
    return await Database.open(settings.database, readers=readers)


async def open_services(
    settings: Settings, *, clock: Clock = system_clock, starter: bool = True, readers: int = 0
) -> Services:
    """Open and migrate the database and, on first start, load the starter dataset;
    `readers` read-only connections serve reads beside the writer (`BOT_READERS` for a
    running bot on SQLite; PostgreSQL reads through its pool)."""
    db = await open_database(settings, readers=readers)
    try:
        if starter:
            await load_starter(db, clock)
    except BaseException:
        await db.close()
        raise
    return Services(settings, db, clock)
