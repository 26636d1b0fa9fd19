"""The feeds service: feeds of a queue, polling them into candidates, and the review
decisions (approve through the catalogue, reject for good). Front ends use only this."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.core.actors import Actor, check_can_write, check_visible, default_scope
from bot.core.catalogue import Catalogue
from bot.core.feeds.classify import classify
from bot.core.feeds.dedupe import WINDOW_DAYS, Entry, Signature, StoryIndex, link_key
from bot.core.feeds.fetch import FeedUnreachable, Fetcher, FetchResult, check_feed_url, retry_delay
from bot.core.feeds.parse import FeedItem, ParsedFeed
from bot.core.feeds.text import normalise_known_link, shorten
from bot.core.feeds.worker import ParseWorker, shared_worker
from bot.core.topics import get_topic, topics_for
from bot.core.validation import PUBLISHER_MAX, SOURCES_MAX, URL_MAX
from bot.domain.clock import Clock, iso_utc, parse_utc, system_clock
from bot.domain.controls import for_terminal
from bot.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from bot.domain.feeds import (
    DEFAULT_INTERVAL_S,
    Candidate,
    CandidateSource,
    Feed,
    PollReport,
)
from bot.domain.models import Development, DevelopmentDraft, FuzzyDate, Source
from bot.domain.scope import Platform, Scope, scope_key, scope_of
from bot.i18n import gettext as _
from storage import feeds as queries
from storage.contract import Db, DbWriter, Row

log = logging.getLogger(__name__)

PAUSE_AFTER = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=6)
# A server's Retry-After is honoured up to this: a misconfigured "come back next year"
# must not silence a source for good (it is retried, then paused after a day of failing).
MAX_RETRY_AFTER = timedelta(hours=12)
# One poll of one feed reads at most its newest items this many: a feed of 85,000 items
# must not flood the queue (nor the dedupe index every later poll loads).
ITEMS_PER_POLL = 200
# A date more than this ahead of the clock is a publisher's mistake (9999-12-31), not news.
FUTURE_SLACK = timedelta(days=1)
POLL_CONCURRENCY = 32
KEYWORDS_MAX = 20
INTERVAL_MIN, INTERVAL_MAX = 5, 1440  # minutes between polls of one feed
# A news queue is about news: older items (a feed's archive on its first read) are skipped,
# so the near-duplicate index only needs developments dated after `now - INDEX_DAYS`.
MAX_ITEM_AGE = timedelta(days=60)
INDEX_DAYS = MAX_ITEM_AGE.days + WINDOW_DAYS


@dataclass(frozen=True)
class AddResult:
    """A feed just added, what its first fetch found and what entered the queue."""

    feed: Feed
    report: PollReport


def parse_keywords(text: str | None) -> tuple[str, ...]:
    """Comma-separated keywords, lowercased; an item must contain one of them."""
    words = tuple(dict.fromkeys(w.strip().lower() for w in (text or "").split(",") if w.strip()))
    if len(words) > KEYWORDS_MAX or any(len(w) > 60 or "|" in w for w in words):
        raise InvalidInput(
            "keywords",
            _("at most {keywords_max} comma-separated words of ≤ 60 characters").format(
                keywords_max=KEYWORDS_MAX
            ),
        )
    return words


def parse_interval(minutes: int | None) -> int:
    """Minutes between polls (5 to 1,440; default 15) as seconds."""
    if minutes is None:
        return DEFAULT_INTERVAL_S
    if not INTERVAL_MIN <= minutes <= INTERVAL_MAX:
        raise InvalidInput(
            "every",
            _("must be {interval_min} to {interval_max} minutes").format(
                interval_min=INTERVAL_MIN, interval_max=INTERVAL_MAX
            ),
        )
    return minutes * 60


def parse_topic_list(text: str | None) -> tuple[str, ...]:
    """Comma- or space-separated topic names, as slugs (unknown ones are refused)."""
    parts = [p for p in (text or "").replace(",", " ").split() if p]
    return tuple(dict.fromkeys(get_topic(p).slug for p in parts))


def _https(link: str) -> str:
    # Sources must be https (catalogue rule); publishers serve the same page on https.
    return "https://" + link.removeprefix("http://") if link.startswith("http://") else link


class FeedService:
    """Feeds and review queues, one per server plus the global one (editors)."""

    def __init__(
        self,
        db: Db,
        catalogue: Catalogue,
        fetcher: Fetcher,
        clock: Clock = system_clock,
        parser: ParseWorker | None = None,
    ) -> None:
        self.db = db
        self.catalogue = catalogue
        self.fetcher = fetcher
        self.clock = clock
        self.parser = parser or shared_worker()
        self.index = StoryIndex()
        self._links: dict[int, tuple[Entry, ...]] = {}  # link_key(link) -> stories citing it
        # Developments indexed up to this (updated_at, id); None until the first load.
        self._dev_mark: tuple[str, int] | None = None
        self._poll_lock = asyncio.Lock()
        #: told of every poll's report (the process's metrics)
        self.on_poll: Callable[[PollReport], None] | None = None

    # --- feeds ---------------------------------------------------------------------------

    def _queue_of(self, actor: Actor, scope: str | None) -> Scope | None:
        return default_scope(actor, scope)

    async def add_feed(
        self,
        actor: Actor,
        url: str,
        *,
        topics: str | None = None,
        keywords: str | None = None,
        scope: str | None = None,
        every_minutes: int | None = None,
    ) -> AddResult:
        """Fetch a feed once, then keep it and queue what it has; refusals store nothing."""
        url = check_feed_url(url)
        topic_slugs = parse_topic_list(topics)
        words = parse_keywords(keywords)
        interval_s = parse_interval(every_minutes)
        queue = self._queue_of(actor, scope)
        if await queries.find_feed(self.db, queue, url):
            raise Conflict(_("This queue already reads {url}.").format(url=url))
        fetched = await self.fetcher.fetch(url)
        if fetched.body is None:
            raise InvalidInput(
                "url",
                _("{url} answered HTTP {status} with no feed").format(
                    url=url, status=fetched.status
                ),
            )
        parsed = await self.parser.parse(fetched.body, fetched.content_type, fetched.url)
        now = self.clock()
        draft = Feed(
            id=0,
            scope=queue,
            url=url,
            title=parsed.title or url,
            topics=topic_slugs,
            keywords=words,
            interval_s=interval_s,
            next_poll_at=iso_utc(now + timedelta(seconds=interval_s)),
            added_by=actor.label,
        )
        await self._ensure_index()
        added: list[Entry] = []
        try:
            async with self.db.transaction() as w:
                feed_id = await queries.insert_feed(w, draft, iso_utc(now))
                feed = replace(draft, id=feed_id)
                report = await self._ingest(w, feed, fetched, parsed, added)
        except BaseException:
            self._unindex(added)
            raise
        log.info(
            "feed added id=%s url=%s queue=%s actor=%s", feed_id, url, scope_key(queue), actor.label
        )
        return AddResult(feed, report)

    async def close(self) -> None:
        """Close the HTTP session (the parser's child ends with the process)."""
        await self.fetcher.close()

    async def list_feeds(self, queue: Scope | None) -> list[Feed]:
        """The feeds of a queue (a server's or chat's, or the global one for None)."""
        return await queries.list_feeds(self.db, queue)

    async def _writable_feed(self, actor: Actor, feed_id: int) -> Feed:
        feed = await queries.get_feed(self.db, feed_id)
        if feed is None:
            raise NotFound(_("There is no feed #{feed_id}.").format(feed_id=feed_id))
        check_visible(feed.scope, actor.scope, f"feed #{feed_id}")
        check_can_write(actor, feed.scope, f"feed #{feed_id}")
        return feed

    async def remove_feed(self, actor: Actor, feed_id: int) -> Feed:
        """Stop reading a feed (its queued candidates stay)."""
        feed = await self._writable_feed(actor, feed_id)
        async with self.db.transaction() as w:
            await queries.delete_feed(w, feed_id)
        log.info("feed removed id=%s actor=%s", feed_id, actor.label)
        return feed

    async def pause_feed(self, actor: Actor, feed_id: int, *, paused: bool = True) -> Feed:
        """Pause a feed, or resume it (polled at the next sweep)."""
        await self._writable_feed(actor, feed_id)
        async with self.db.transaction() as w:
            if paused:
                await queries.set_feed_status(w, feed_id, "paused", f"paused by {actor.name}")
            else:
                await queries.set_feed_status(w, feed_id, "active", None, iso_utc(self.clock()))
        return await self._writable_feed(actor, feed_id)

    # --- polling -------------------------------------------------------------------------

    async def poll_due(self) -> list[PollReport]:
        """Poll every active feed whose time has come (one sweep; sweeps never overlap)."""
        async with self._poll_lock:
            feeds = await queries.due_feeds(self.db, iso_utc(self.clock()))
            if not feeds:
                return []
            await self._ensure_index()
            gate = asyncio.Semaphore(POLL_CONCURRENCY)

            async def one(feed: Feed) -> PollReport:
                async with gate:
                    return self._polled(await self._poll(feed))

            return list(await asyncio.gather(*(one(f) for f in feeds)))

    async def poll_feed(self, actor: Actor, feed_id: int) -> PollReport:
        """Poll one feed now, whatever its schedule."""
        feed = await self._writable_feed(actor, feed_id)
        async with self._poll_lock:
            await self._ensure_index()
            return self._polled(await self._poll(feed))

    def _polled(self, report: PollReport) -> PollReport:
        if self.on_poll is not None:
            self.on_poll(report)
        return report

    async def _poll(self, feed: Feed) -> PollReport:
        try:
            fetched = await self.fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            parsed = None
            if fetched.body is not None:
                # In a child process with a deadline: a 5 MB feed takes feedparser a
                # while, a malformed one much longer; the bot stays responsive.
                parsed = await self.parser.parse(fetched.body, fetched.content_type, fetched.url)
        except FeedUnreachable as exc:
            wait = retry_delay(exc.retry_after, self.clock())
            return await self._failed(feed, str(exc), retry_after=wait)
        except DomainError as exc:  # not (or no longer) a feed
            return await self._failed(feed, str(exc))
        except Exception as exc:  # one feed must never stop the sweep
            log.exception("feed poll crashed id=%s", feed.id)
            return await self._failed(feed, f"unexpected error ({type(exc).__name__})")
        if fetched.gone:
            # Paused, not deleted: a CDN answering 410 once by mistake must not silently
            # remove a source. Its reviewers are told and can resume it.
            error = "410 Gone: the server says this feed was removed"
            return await self._failed(feed, error, pause=error)
        added: list[Entry] = []
        try:
            async with self.db.transaction() as w:
                report = await self._ingest(w, feed, fetched, parsed, added)
        except BaseException:
            self._unindex(added)  # rolled back: the index must forget them too
            raise
        return report

    async def _failed(
        self,
        feed: Feed,
        error: str,
        *,
        retry_after: timedelta | None = None,
        pause: str | None = None,
    ) -> PollReport:
        now = self.clock()
        error = " ".join(for_terminal(error).split())  # stored, then shown to people
        since = feed.failing_since or iso_utc(now)
        failures = feed.failures + 1
        delay = min(timedelta(seconds=feed.interval_s * 2 ** min(failures, 8)), MAX_BACKOFF)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        if pause is None and now - parse_utc(since) >= PAUSE_AFTER:
            pause = f"failing since {since[:16].replace('T', ' ')} UTC: {error}"[:300]
        async with self.db.transaction() as w:
            await queries.record_failure(
                w,
                feed.id,
                error=error[:300],
                failures=failures,
                failing_since=since,
                at=iso_utc(now),
                next_poll_at=iso_utc(now + delay),
                pause_reason=pause,
            )
        # A failure is retried with backoff (info); pausing the feed is what needs a look.
        log.log(
            logging.WARNING if pause else logging.INFO,
            "feed failed id=%s failures=%s paused=%s error=%s",
            feed.id,
            failures,
            bool(pause),
            error,
        )
        return PollReport(feed.id, feed.url, "paused" if pause else "failed", error=error)

    async def _ingest(
        self,
        w: DbWriter,
        feed: Feed,
        fetched: FetchResult,
        parsed: ParsedFeed | None,
        added: list[Entry],
    ) -> PollReport:
        """Inside one transaction with the feed's new validators: a poll interrupted half-way
        leaves nothing behind, and the next poll (without the validators) redoes it."""
        now = self.clock()
        report = PollReport(feed.id, feed.url, title=feed.title)
        capped = feed.last_capped
        if parsed is None:
            report.outcome = "unchanged"
        else:
            report.title = parsed.title or feed.title
            report.items = len(parsed.items) + sum(parsed.skipped.values())
            report.skipped.update(parsed.skipped)
            items = [replace(i, published=_credible(i.published, now)) for i in parsed.items]
            capped = max(0, len(items) - ITEMS_PER_POLL)
            report.capped = capped
            if capped:
                # The newest (undated ones count as arriving now), kept in the feed's order:
                # what lies beyond is older than anything read, so no later poll reads it.
                newest = sorted(
                    range(len(items)), key=lambda n: items[n].published or now, reverse=True
                )
                items = [items[n] for n in sorted(newest[:ITEMS_PER_POLL])]
            seen = await queries.seen_keys(w, feed.id, [i.key for i in items])
            fresh = [i for i in items if i.key not in seen]
            report.skipped["seen before"] += len(items) - len(fresh)
            for item in fresh:
                entry = await self._one_item(w, feed, item, report, now)
                if entry is not None:
                    added.append(entry)
                    self._remember(entry)
            await queries.mark_seen(w, feed.id, [i.key for i in fresh])
            report.skipped = Counter({k: v for k, v in report.skipped.items() if v})
        await queries.record_success(
            w,
            feed,
            title=report.title,
            etag=fetched.etag if parsed is not None else feed.etag,
            last_modified=fetched.last_modified if parsed is not None else feed.last_modified,
            at=iso_utc(now),
            next_poll_at=iso_utc(now + timedelta(seconds=feed.interval_s)),
            capped=capped,
        )
        return report

    def _passes(self, feed: Feed, item: FeedItem, countries: tuple[str, ...], domain: str) -> str:
        if not countries:
            return "not about the tracked countries"
        if feed.keywords:
            text = f"{item.title} {item.summary}".lower()
            if not any(k in text for k in feed.keywords):
                return "outside the feed's keywords"
        if feed.topics and not set(feed.topics) & set(topics_for(countries, domain)):
            return "outside the feed's topics"
        return ""

    async def _one_item(
        self, w: DbWriter, feed: Feed, item: FeedItem, report: PollReport, now: datetime
    ) -> Entry | None:
        if item.published is not None and now - item.published > MAX_ITEM_AGE:
            report.skipped[f"older than {MAX_ITEM_AGE.days} days"] += 1
            return None
        found = classify(item.title, item.summary)
        why = self._passes(feed, item, found.countries, found.domain)
        if why:
            report.skipped[why] += 1
            return None
        day = (item.published or now).date()
        source = CandidateSource(
            link=item.link,
            title=item.title,
            publisher=report.title or None,
            published_on=item.published.date().isoformat() if item.published else None,
            seen_on=now.date().isoformat(),
            feed_id=feed.id,
        )
        sig = Signature.of(item.title, found.countries)
        known = await queries.pending_by_link(w, feed.scope, item.link)
        if known is None:
            match = self._known(item.link, sig, day, feed.scope)
            if match is not None and match.kind != "candidate":
                report.skipped[
                    "already rejected" if match.kind == "rejected" else "already in the catalogue"
                ] += 1
                return None
            known = (match.ref, "pending") if match is not None else None
        if known is not None:
            if known[1] in ("pending", "approving"):
                if await queries.add_source(w, known[0], source):
                    report.merged_into.append(known[0])
                else:
                    report.skipped["seen before"] += 1
            else:
                report.skipped[f"already {known[1]}"] += 1
            return None
        candidate = Candidate(
            id=0,
            scope=feed.scope,
            title=item.title,
            summary=item.summary,
            occurred_on=day.isoformat(),
            date_precision="day",
            date_from_feed=item.published is not None,
            countries=found.countries,
            domain=found.domain,
            relevance=found.relevance,
            status="pending",
            created_at=iso_utc(now),
            sources=(source,),
        )
        cid = await queries.insert_candidate(w, candidate)
        report.new.append(cid)
        return Entry("candidate", cid, feed.scope, day, sig, _keys([item.link]))

    # --- the deduplicating index ---------------------------------------------------------

    def _known(self, link: str, sig: Signature, day: date, queue: Scope | None) -> Entry | None:
        def visible(e: Entry) -> bool:
            if e.kind == "development":
                return e.scope is None or e.scope == queue
            return e.scope == queue

        for entry in self._links.get(link_key(link), ()):
            if visible(entry):
                return entry
        return self.index.match(sig, day, visible)

    def _remember(self, entry: Entry) -> None:
        self.index.add(entry)
        for key in entry.links:
            self._links[key] = (*self._links.get(key, ()), entry)

    def _forget(self, kind: str, ref: int) -> None:
        old = self.index.get(kind, ref)
        self.index.discard(kind, ref)
        if old is not None:
            self._drop_links(old)

    def _drop_links(self, old: Entry) -> None:
        for key in old.links:
            kept = tuple(e for e in self._links.get(key, ()) if e is not old)
            if kept:
                self._links[key] = kept
            else:
                self._links.pop(key, None)

    def _unindex(self, entries: list[Entry]) -> None:
        for entry in entries:
            self._forget(entry.kind, entry.ref)

    def reset_index(self) -> None:
        """Forget the deduplicating index; it reloads from the database on next use (after
        a scope moved to a new id, its entries would name the old one)."""
        self.index = StoryIndex()
        self._links = {}
        self._dev_mark = None

    async def load_index(self) -> int:
        """Load (or bring up to date) the deduplicating index; returns its size."""
        await self._ensure_index()
        return len(self.index)

    async def _ensure_index(self) -> None:
        """Load the queue and rejected stories once, and developments changed since the
        last look (so approvals and edits made anywhere are seen)."""
        if self._dev_mark is None:
            for row in await queries.pending_stories(self.db):
                links = _keys((row["links"] or "").split())
                self._remember(
                    Entry(
                        "candidate",
                        row["id"],
                        scope_of(row["platform"], row["scope_id"]),
                        _day(row["occurred_on"]),
                        Signature.of(row["title"], row["countries"].split()),
                        links,
                    )
                )
            for row in await queries.rejected_stories(self.db):
                self._remember(
                    Entry(
                        "rejected",
                        row["id"],
                        scope_of(row["platform"], row["scope_id"]),
                        _day(row["rejected_at"]),
                        Signature.of(row["title"]),
                        _keys(json.loads(row["links"])),
                    )
                )
        cutoff = self.clock().date() - timedelta(days=INDEX_DAYS)
        for old in self.index.evict_before(cutoff):
            self._drop_links(old)
        mark = self._dev_mark or ("", 0)
        while rows := await queries.developments_since(self.db, mark, cutoff.isoformat()):
            # Pages of 5,000: a first load of 100,000 never holds them all as rows.
            for row in rows:
                self._index_development(row)
            mark = (rows[-1]["updated_at"], rows[-1]["id"])
        self._dev_mark = mark

    def _index_development(self, row: Row) -> None:
        self._forget("development", row["id"])
        if row["status"] == "published":
            links = _keys(
                n for n in (normalise_known_link(u) for u in (row["links"] or "").split()) if n
            )
            self._remember(
                Entry(
                    "development",
                    row["id"],
                    scope_of(row["platform"], row["scope_id"]),
                    _day(row["occurred_on"]),
                    Signature.of(row["title"], row["countries"].split()),
                    links,
                )
            )

    # --- the queue -----------------------------------------------------------------------

    async def queue(self, queue: Scope | None, limit: int = 100) -> list[Candidate]:
        """What waits in a queue, oldest first."""
        return await queries.list_candidates(self.db, queue, limit=limit)

    async def pending_count(self, queue: Scope | None) -> int:
        """How many candidates wait in a queue."""
        return await queries.count_pending(self.db, queue)

    async def candidate(self, candidate_id: int, viewer: Scope | None) -> Candidate:
        """One candidate visible from here."""
        found = await queries.get_candidate(self.db, candidate_id)
        if found is None:
            raise NotFound(
                _("There is no candidate #{candidate_id}.").format(candidate_id=candidate_id)
            )
        check_visible(found.scope, viewer, f"candidate #{candidate_id}")
        return found

    async def _reviewable(self, actor: Actor, candidate_id: int) -> Candidate:
        found = await self.candidate(candidate_id, actor.scope)
        check_can_write(actor, found.scope, "review queue")
        if found.status != "pending":
            raise Conflict(
                _("Candidate #{candidate_id} is already {status}.").format(
                    candidate_id=candidate_id, status=found.status
                )
            )
        return found

    @staticmethod
    def draft_of(c: Candidate) -> DevelopmentDraft:
        """The development a candidate becomes as it is, every merged source with it."""
        sources = tuple(
            Source(
                title=s.title,
                publisher=shorten(s.publisher, PUBLISHER_MAX) if s.publisher else None,
                # A candidate kept from before links were checked: its source stays, as a citation.
                url=_https(s.link) if len(_https(s.link)) <= URL_MAX else None,
                published_on=s.published_on,
                accessed_on=s.seen_on,
            )
            for s in c.sources[:SOURCES_MAX]
        )
        return DevelopmentDraft(
            kind="event",
            title=c.title,
            summary=c.summary,
            occurred=FuzzyDate(date.fromisoformat(c.occurred_on), c.date_precision),
            countries=tuple(sorted(c.countries)),  # the catalogue keeps them sorted
            domain=c.domain,
            importance=3 if c.relevance >= 0.9 else 2,
            sources=sources,
        )

    def preview(self, c: Candidate) -> Development:
        """The candidate shaped as a development (for cards and the prefilled form)."""
        return Development(**self.draft_of(c).__dict__, id=0, scope=c.scope)

    async def approve(
        self, actor: Actor, candidate_id: int, draft: DevelopmentDraft | None = None
    ) -> Development:
        """Publish a candidate (as is, or as edited) through the catalogue service."""
        found = await self._reviewable(actor, candidate_id)
        async with self.db.transaction() as w:
            if not await queries.move_status(w, candidate_id, "pending", "approving"):
                raise Conflict(
                    _("Candidate #{candidate_id} was just decided by someone else.").format(
                        candidate_id=candidate_id
                    )
                )
        scope = "global" if found.scope is None else "server"
        try:
            dev = await self.catalogue.add(actor, draft or self.draft_of(found), scope)
        except BaseException:
            async with self.db.transaction() as w:
                await queries.move_status(w, candidate_id, "approving", "pending")
            raise
        async with self.db.transaction() as w:
            await queries.decide(
                w, candidate_id, "approved", actor.label, iso_utc(self.clock()), dev.id
            )
        self._forget("candidate", candidate_id)
        if self._dev_mark is not None:
            await self._ensure_index()
        log.info(
            "candidate approved id=%s development=%s actor=%s", candidate_id, dev.id, actor.label
        )
        return dev

    async def reject(self, actor: Actor, candidate_id: int) -> Candidate:
        """Drop a candidate and remember the story so it never returns to this queue."""
        found = await self._reviewable(actor, candidate_id)
        at = iso_utc(self.clock())
        links = [s.link for s in found.sources]
        async with self.db.transaction() as w:
            if not await queries.move_status(w, candidate_id, "pending", "rejected"):
                raise Conflict(
                    _("Candidate #{candidate_id} was just decided by someone else.").format(
                        candidate_id=candidate_id
                    )
                )
            await queries.decide(w, candidate_id, "rejected", actor.label, at)
            rid = await queries.insert_rejected(w, found.scope, found.title, links, actor.label, at)
        self._forget("candidate", candidate_id)
        self._remember(
            Entry(
                "rejected",
                rid,
                found.scope,
                _day(found.occurred_on),
                Signature.of(found.title),
                _keys(links),
            )
        )
        log.info("candidate rejected id=%s actor=%s", candidate_id, actor.label)
        return replace(found, status="rejected")

    # --- review cards and notices ---------------------------------------------------------

    async def pauses_to_announce(self, platform: Platform) -> list[tuple[int, Feed]]:
        """(channel id, feed) for every feed the bot paused (410 Gone, failing for a day)
        whose queue is reviewed in a channel of `platform` and has not been told yet."""
        due = []
        for feed in await queries.paused_unannounced(self.db):
            where = await self.review_channel(feed.scope)
            if where is not None and where[0] == platform:
                due.append((where[1], feed))
        return due

    async def claim_pause_notice(self, feed_id: int) -> bool:
        """Whether this caller is the one to tell the reviewers about this feed's pause
        (two sweeps at once tell them once)."""
        async with self.db.transaction() as w:
            return await queries.claim_notice(w, feed_id)

    async def pause_notice_failed(self, feed_id: int) -> None:
        """The notice could not be sent: the next sweep tries again."""
        async with self.db.transaction() as w:
            await queries.claim_notice(w, feed_id, pending=True)

    async def set_review_channel(
        self, actor: Actor, platform: Platform, channel_id: int, scope: str | None = None
    ) -> Scope | None:
        """Post this queue's cards in `channel_id` (of `platform`); returns the queue."""
        queue = self._queue_of(actor, scope)
        async with self.db.transaction() as w:
            await queries.set_review_channel(
                w, queue, platform, channel_id, actor.label, iso_utc(self.clock())
            )
        return queue

    async def review_channel(self, queue: Scope | None) -> tuple[Platform, int] | None:
        """(platform, channel) a queue's cards go to, if anywhere yet. A Telegram chat's
        queue is reviewed in the chat itself unless told otherwise."""
        found = await queries.review_channel(self.db, queue)
        if found is not None:
            return ("telegram" if found[0] == "telegram" else "discord"), found[1]
        if queue is not None and queue.platform == "telegram":
            return "telegram", queue.id
        return None

    async def cards_to_post(self, platform: Platform) -> list[tuple[int, Candidate]]:
        """(channel id, candidate) for every pending candidate whose card is not posted yet
        and goes to a channel of `platform`."""
        due = []
        for queue in await queries.queues_without_cards(self.db):
            where = await self.review_channel(queue)
            if where is None or where[0] != platform:
                continue
            for c in await queries.list_candidates(self.db, queue, without_card=True):
                due.append((where[1], c))
        return due

    async def cards_to_refresh(
        self, platform: Platform, candidate_ids: list[int]
    ) -> list[Candidate]:
        """Pending candidates among these whose card, posted on `platform`, is out of date."""
        found = []
        for cid in dict.fromkeys(candidate_ids):
            c = await queries.get_candidate(self.db, cid)
            if c is None or c.status != "pending" or c.card_message_id is None:
                continue
            where = await self.review_channel(c.scope)
            if where is not None and where[0] == platform:
                found.append(c)
        return found

    async def card_posted(self, candidate_id: int, channel_id: int, message_id: int) -> None:
        """Remember a posted card, so it is not posted again."""
        async with self.db.transaction() as w:
            await queries.set_card(w, candidate_id, channel_id, message_id)


def _credible(published: datetime | None, now: datetime) -> datetime | None:
    """A publication date, unless it lies more than a day ahead: the item is then dated
    by its arrival, like an undated one."""
    if published is not None and published - now > FUTURE_SLACK:
        return None
    return published


def _keys(links: Iterable[str]) -> tuple[int, ...]:
    return tuple(link_key(link) for link in links)


@functools.lru_cache(maxsize=4096)  # one date object per day, shared by its entries
def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "")[:10])
    except ValueError:
        return None
