"""One gettext mechanism for every front end: the reader's locale, catalogues, formatting.

The locale is a `ContextVar`: a front end sets it once per interaction (the person's
locale) or per post (the server's or chat's language), and everything rendered below —
Python messages and Jinja templates alike — reads it. English is the source language and
the fallback for anything untranslated. Compiled catalogues ship in `bot/i18n/locales`.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    get_day_names,
    get_timezone_name,
)

from bot.domain.digest_filter import DigestFilter
from bot.domain.errors import DomainError, QueryTooBroad, TooSoon, UnknownTopic
from bot.domain.models import FuzzyDate
from bot.domain.schedule import Schedule
from bot.domain.topics import TOPICS
from bot.domain.wording import N_

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT = "en"
LOCALES: tuple[str, ...] = ("en", "ja", "ko")
#: The language names offered by `/settings language`, each in its own language.
LANGUAGE_NAMES = {"en": "English", "ja": "日本語", "ko": "한국어"}

#: Where Babel's (CLDR's) country name is longer than what a reader expects in a headline.
SHORT_COUNTRY_NAMES = {"ja": {"US": "米国"}, "ko": {"KR": "한국"}}

current: ContextVar[str] = ContextVar("locale", default=DEFAULT)


def normalize(tag: str | None) -> str:
    """One of LOCALES for a Discord locale (`ja`, `ko`, `en-US`), a Telegram
    `language_code` (`ja`, `ko-KR`) or a stored setting; English for anything else."""
    if not tag:
        return DEFAULT
    base = str(tag).replace("_", "-").split("-")[0].lower()
    return base if base in LOCALES else DEFAULT


def set_locale(tag: str | None) -> str:
    """Make `tag` the locale of the running task (an interaction, an update); returns it."""
    locale = normalize(tag)
    current.set(locale)
    return locale


@contextmanager
def use_locale(tag: str | None) -> Iterator[str]:
    """Render in `tag`'s language inside the block (a digest for its server's language)."""
    token = current.set(normalize(tag))
    try:
        yield current.get()
    finally:
        current.reset(token)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `locale` (English: none, the messages are English)."""
    if locale == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation("messages", LOCALES_DIR, languages=[locale], fallback=True)


def gettext(message: str) -> str:
    """`message` in the current locale (English when untranslated)."""
    return translations(current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for `n`, by the locale's plural rules."""
    return translations(current.get()).ngettext(singular, plural, n)


_ = gettext


def translate_to(locale: str, message: str) -> str:
    """`message` in a given locale, whatever the current one (Discord's command names)."""
    return translations(normalize(locale)).gettext(message)


def date_label(value: FuzzyDate | date) -> str:
    """A date as the locale writes it: `16 Mar 2023` / `2023年3月16日` / `2023년 3월 16일`;
    a month (`Mar 2023`, `2023年3月`) or a year alone when that is all that is known."""
    fuzzy = value if isinstance(value, FuzzyDate) else FuzzyDate(value)
    locale = current.get()
    if locale == DEFAULT:
        return fuzzy.label()  # English stays exactly as it always was
    skeleton = {"day": "yMMMd", "month": "yMMM", "year": "y"}[fuzzy.precision]
    if fuzzy.precision == "day":
        return format_date(fuzzy.start, "long", locale=locale)
    return format_skeleton(skeleton, fuzzy.start, locale=locale)


def weekday_date(day: date) -> str:
    """A digest's day: `Sunday 9 Mar 2025` / `2025年3月9日日曜日` / `2025년 3월 9일 일요일`."""
    if current.get() == DEFAULT:
        return f"{day:%A} {day.day} {day:%b %Y}"
    return format_date(day, "full", locale=current.get())


def date_span(first: date, last: date) -> str:
    """`30 Nov – 7 Dec 2026` / `2026年11月30日～12月7日` / `2026년 11월 30일~12월 7일`
    (CLDR's interval formats: each language joins and shortens its own way)."""
    locale = "en_GB" if current.get() == DEFAULT else current.get()  # day before month
    return format_interval(first, last, "yMMMd", locale=locale)


def describe_schedule(schedule: Schedule) -> str:
    """'every Monday at 09:00 (Europe/Berlin)' in the reader's language."""
    if current.get() == DEFAULT:
        return schedule.describe()
    values = {"time": f"{schedule.at:%H:%M}", "zone": schedule.timezone}
    if schedule.cadence == "daily":
        return gettext("every day at %(time)s (%(zone)s)") % values
    day = get_day_names("wide", locale=current.get())[schedule.weekday]
    return gettext("every %(weekday)s at %(time)s (%(zone)s)") % {**values, "weekday": day}


def country_names(codes: list[str] | tuple[str, ...]) -> str:
    """Countries as the reader names them; English shows the ISO codes as it always did."""
    locale = current.get()
    if locale == DEFAULT:
        return " ".join(codes)
    names = {**Locale.parse(locale).territories, **SHORT_COUNTRY_NAMES.get(locale, {})}
    return ("、" if locale == "ja" else ", ").join(names.get(c, c) for c in codes)


def listing(items: list[str] | tuple[str, ...]) -> str:
    """Items as the reader lists them: `日米韓、日韓` in Japanese, `한미일, 한일` and
    `US–Japan–South Korea, Japan–South Korea` otherwise."""
    return ("、" if current.get() == "ja" else ", ").join(str(item) for item in items)


def zone_name(zone: str) -> str:
    """A time zone's name in the reader's language (`Asia/Seoul` → 韓国時間); the IANA name
    itself in English."""
    locale = current.get()
    if locale == DEFAULT:
        return zone
    try:
        return f"{get_timezone_name(zone, locale=locale)} ({zone})"
    except LookupError:
        return zone


def error_message(error: DomainError) -> str:
    """A refusal's text in the reader's language. Most domain errors are raised with
    translated text already; those built in the (locale-free) domain layer are worded here."""
    if isinstance(error, UnknownTopic):
        if error.suggestions:
            return gettext("There is no topic called '{name}'. Did you mean {suggestions}?").format(
                name=error.name, suggestions=listing(error.suggestions)
            )
        return gettext("There is no topic called '{name}'. The topics: {topics}.").format(
            name=error.name, topics=listing([t.slug for t in TOPICS])
        )
    if isinstance(error, TooSoon):
        what = _COSTLY.get(error.action)
        return gettext("Too many {what} requests just now: wait {seconds} s and try again.").format(
            what=gettext(what) if what else error.action, seconds=error.wait_s
        )
    if isinstance(error, QueryTooBroad):
        return gettext(
            "That search is too broad to answer quickly: add more words, use longer words, "
            "or choose a topic."
        )
    return str(error)


#: The costly actions rate-limited by `bot.core.cooldowns`, as a refusal names them.
_COSTLY = {
    "search": N_("search"),
    "chart": N_("chart"),
    "inline": N_("inline brief"),
    "ask": N_("question"),
}


def local_moment(moment: datetime, zone: str) -> str:
    """A delivery time in its zone: `Sun 29 Nov 2026, 09:00 (Asia/Seoul)`,
    `2026年11月29日(日) 09:00 (Asia/Seoul)`, `2026년 11월 29일 (일) 09:00 (Asia/Seoul)`."""
    locale = current.get()
    if locale == DEFAULT:
        return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} ({zone})"
    return f"{format_skeleton('yMMMEd', moment, locale=locale)} {moment:%H:%M} ({zone})"


def describe_filter(digest_filter: DigestFilter) -> str:
    """A digest filter in the reader's language: `mentions chips or semiconductors · not
    tourism · security, economy only`; the words people typed stay as typed."""
    if current.get() == DEFAULT:
        return digest_filter.describe()
    words = {"ja": "、", "ko": ", "}[current.get()]

    def quoted(items: tuple[str, ...]) -> str:
        return words.join(f"“{w}”" if " " in w else w for w in items)

    parts = []
    if digest_filter.include:
        parts.append(gettext("mentions {words}").format(words=quoted(digest_filter.include)))
    if digest_filter.exclude:
        parts.append(gettext("not {words}").format(words=quoted(digest_filter.exclude)))
    if digest_filter.domains:
        domains = words.join(gettext(d) for d in digest_filter.domains)
        parts.append(gettext("{domains} only").format(domains=domains))
    return " · ".join(parts) or gettext("everything")
