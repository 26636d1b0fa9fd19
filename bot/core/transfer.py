"""Import and export of the whole catalogue as JSON or CSV.

Export then import into an empty database gives the same developments (ids, scope,
status, audit fields), sources, assessments with their history, and revisions. Import
validates every record first and writes nothing unless all of them are valid.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any, cast

from bot import __version__
from bot.core import import_schema, offload
from bot.core.topics import get_topic
from bot.core.validation import (
    BOTTOM_LINE_MAX,
    parse_sources,
    parse_trend,
    parse_watch_next,
    require_text,
    validate_development,
)
from bot.domain.clock import Clock, iso_utc, system_clock
from bot.domain.errors import Conflict, InvalidInput
from bot.domain.models import Assessment, Audit, Status
from bot.domain.scope import Scope, scope_key, scope_of
from storage import assessments as assessment_queries
from storage import bulk
from storage.bulk import DevelopmentRecord
from storage.sqlite.database import Database, Row

log = logging.getLogger(__name__)

FORMAT = "trilateral-brief-export"
FORMAT_VERSION = 1
CSV_COLUMNS = (
    "record", "id", "scope", "kind", "title", "summary", "date", "countries", "domain", "tags",
    "importance", "why_it_matters", "status", "retraction_reason", "created_by", "created_at",
    "updated_by", "updated_at", "seed_key", "sources", "revisions", "topic", "bottom_line",
    "trend", "watch_next",
)  # fmt: skip


def _scope_text(scope: Scope | None) -> str:
    return scope_key(scope)


def _parse_scope(value: Any, where: str) -> Scope | None:
    text = str(value or "global").strip()
    if text == "global":
        return None
    try:
        if len(text) > 30:
            raise ValueError(text)
        return Scope.parse(text)
    except ValueError:
        raise InvalidInput(
            f"{where} scope", "must be 'global', a Discord server id or telegram:<chat id>"
        ) from None


# --- export ------------------------------------------------------------------------------


async def export_data(db: Database, clock: Clock = system_clock) -> dict[str, Any]:
    """The whole catalogue as one JSON-ready document."""
    devs, sources, revisions = await bulk.export_rows(db)
    sources_by: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in sources:
        sources_by[s["development_id"]].append(
            {k: s[k] for k in ("title", "publisher", "url", "published_on", "accessed_on")}
        )
    revisions_by: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in revisions:
        revisions_by[r["development_id"]].append(
            {
                "number": r["number"],
                "action": r["action"],
                "actor": r["actor"],
                "at": r["at"],
                "changes": json.loads(r["changes"]),
                "snapshot": json.loads(r["snapshot"]),
            }
        )
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "briefbot": __version__,
        "exported_at": iso_utc(clock()),
        "datasets": [{"dataset": n, "loaded_at": at} for n, at in await bulk.loaded_datasets(db)],
        "developments": [_dev_export(d, sources_by, revisions_by) for d in devs],
        "assessments": [
            {
                "topic": a.topic,
                "scope": _scope_text(a.scope),
                "bottom_line": a.bottom_line,
                "trend": a.trend,
                "watch_next": list(a.watch_next),
                "author": a.author,
                "created_at": a.created_at,
                "seed_key": key,
                "sources": [s.to_dict() for s in a.sources],
            }
            for a, key in await assessment_queries.all_assessments(db)
        ],
    }


def _dev_export(
    d: Row,
    sources_by: dict[int, list[dict[str, Any]]],
    revisions_by: dict[int, list[dict[str, Any]]],
) -> dict[str, Any]:
    occurred = d["occurred_on"]
    date_text = {"day": occurred, "month": occurred[:7], "year": occurred[:4]}[d["date_precision"]]
    return {
        "id": d["id"],
        "scope": _scope_text(scope_of(d["platform"], d["guild_id"])),
        "kind": d["kind"],
        "title": d["title"],
        "summary": d["summary"],
        "date": date_text,
        "countries": d["countries"].split(),
        "domain": d["domain"],
        "tags": d["tags"].split(),
        "importance": d["importance"],
        "why_it_matters": d["why_it_matters"],
        "status": d["status"],
        "retraction_reason": d["retraction_reason"],
        "created_by": d["created_by"],
        "created_at": d["created_at"],
        "updated_by": d["updated_by"],
        "updated_at": d["updated_at"],
        "seed_key": d["seed_key"],
        "sources": sources_by.get(d["id"], []),
        "revisions": revisions_by.get(d["id"], []),
    }


def to_csv(data: dict[str, Any]) -> str:
    """The export document as CSV: one row per development, assessment and dataset."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in data["developments"]:
        row = {k: d.get(k) for k in CSV_COLUMNS if k in d}
        row |= {
            "record": "development",
            "countries": " ".join(d["countries"]),
            "tags": " ".join(d["tags"]),
            "sources": json.dumps(d["sources"], ensure_ascii=False),
            "revisions": json.dumps(d["revisions"], ensure_ascii=False),
        }
        writer.writerow(row)
    for a in data["assessments"]:
        writer.writerow(
            {
                "record": "assessment",
                "topic": a["topic"],
                "scope": a["scope"],
                "bottom_line": a["bottom_line"],
                "trend": a["trend"],
                "watch_next": json.dumps(a["watch_next"], ensure_ascii=False),
                "created_by": a["author"],
                "created_at": a["created_at"],
                "seed_key": a["seed_key"],
                "sources": json.dumps(a.get("sources", []), ensure_ascii=False),
            }
        )
    for ds in data["datasets"]:
        writer.writerow(
            {"record": "dataset", "seed_key": ds["dataset"], "created_at": ds["loaded_at"]}
        )
    return out.getvalue()


def from_csv(text: str) -> dict[str, Any]:
    """Parse CSV (as written by `to_csv`, or hand-made with fewer columns) to a document."""
    reader = csv.DictReader(io.StringIO(text))
    doc: dict[str, Any] = {"developments": [], "assessments": [], "datasets": []}
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            _csv_row(doc, row, f"line {line}")
    except csv.Error as exc:
        # The csv module's own limit refuses a cell over 128 KB before it is held in memory.
        rule = "has a cell over 128 KB" if "field limit" in str(exc) else f"is not CSV ({exc})"
        raise InvalidInput(f"line {line + 1}", rule) from None
    return doc


def _csv_row(doc: dict[str, Any], row: dict[str | Any, Any], where: str) -> None:
    if None in row:
        raise InvalidInput(where, "has more cells than the header has columns")
    record = (row.get("record") or "development").strip()
    clean = {k: v for k, v in row.items() if v not in (None, "")}
    if record == "development":
        for key in ("sources", "revisions"):
            if clean.get(key, "").startswith("["):
                clean[key] = _json_cell(clean[key], f"{where} {key}")
        # CSV cells are text: a whole number is the one id form accepted.
        if clean.get("id", "").isascii() and clean.get("id", "").isdigit():
            clean["id"] = int(clean["id"])
        clean["_where"] = where
        doc["developments"].append(clean)
    elif record == "assessment":
        clean["author"] = clean.pop("created_by", "import")
        for key in ("watch_next", "sources"):
            if clean.get(key, "").startswith("["):
                clean[key] = _json_cell(clean[key], f"{where} {key}")
        clean["_where"] = where
        doc["assessments"].append(clean)
    elif record == "dataset":
        if not clean.get("seed_key") or not clean.get("created_at"):
            raise InvalidInput(where, "a dataset row needs seed_key and created_at")
        doc["datasets"].append({"dataset": clean["seed_key"], "loaded_at": clean["created_at"]})
    else:
        raise InvalidInput(
            where, f"record must be development, assessment or dataset, not {record!r}"
        )


def _json_cell(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(where, f"is not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise InvalidInput(where, "is nested too deeply") from None


def read_file(path: Path) -> dict[str, Any]:
    """A JSON or CSV export file (by extension) as a document whose shape is checked."""
    if not path.is_file():
        raise InvalidInput("file", f"{path} does not exist")
    if path.suffix.lower() not in (".json", ".csv"):
        raise InvalidInput("file", "must end in .json or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "file", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    if path.suffix.lower() == ".csv":
        return from_csv(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("file", f"is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise InvalidInput("file", "is nested too deeply to be an export") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("developments", []), list):
        raise InvalidInput("file", "is not a briefbot export (no 'developments' list)")
    return check_document(doc)


def check_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's own fields checked: format, version, lists of objects."""
    checked = import_schema.check_document(doc)
    if checked.format != FORMAT or checked.version > FORMAT_VERSION:
        raise InvalidInput("file", f"is not a {FORMAT} version {FORMAT_VERSION} document")
    return doc


def write_file(path: Path, data: dict[str, Any]) -> None:
    """Write an export document as JSON or CSV, by the file's extension."""
    if path.suffix.lower() not in (".json", ".csv"):
        raise InvalidInput("file", "must end in .json or .csv")
    text = (
        to_csv(data)
        if path.suffix.lower() == ".csv"
        else json.dumps(data, ensure_ascii=False, indent=1)
    )
    tmp = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        # A full disk leaves the earlier file, never half a new one; the error names `path`.
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, exc.filename or str(path)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- import ------------------------------------------------------------------------------


def _where(item: Any, kind: str, index: int) -> str:
    where = item.get("_where") if isinstance(item, dict) else None
    return str(where or f"{kind} {index}")


def _record(raw: Any, index: int, at: str) -> DevelopmentRecord:
    where = _where(raw, "development", index)
    item = import_schema.check(import_schema.DevelopmentIn, raw, where)
    try:
        draft = validate_development(item)
        status = item.get("status") or "published"
        if status not in ("published", "retracted"):
            raise InvalidInput("status", "must be published or retracted")
        return DevelopmentRecord(
            draft=draft,
            audit=Audit(
                scope=_parse_scope(item.get("scope"), where),
                status=cast(Status, status),
                retraction_reason=item.get("retraction_reason"),
                created_by=item.get("created_by") or "import",
                created_at=item.get("created_at") or at,
                updated_by=item.get("updated_by") or item.get("created_by") or "import",
                updated_at=item.get("updated_at") or at,
                seed_key=item.get("seed_key"),
            ),
            id=item.get("id"),
            revisions=list(item.get("revisions") or []),
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{where} {exc.field}", exc.rule) from None


def _assessment(raw: Any, index: int, at: str) -> tuple[Assessment, str | None]:
    where = _where(raw, "assessment", index)
    item = import_schema.check(import_schema.AssessmentIn, raw, where)
    try:
        return (
            Assessment(
                topic=get_topic(str(item.get("topic", ""))).slug,
                scope=_parse_scope(item.get("scope"), where),
                bottom_line=require_text("bottom line", item.get("bottom_line"), BOTTOM_LINE_MAX),
                trend=parse_trend(item.get("trend")),
                watch_next=parse_watch_next(item.get("watch_next")),
                author=str(item.get("author") or "import"),
                created_at=str(item.get("created_at") or at),
                # Optional for an assessment (a development needs one).
                sources=parse_sources(item["sources"]) if item.get("sources") else (),
            ),
            item.get("seed_key") or None,
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{where} {exc.field}", exc.rule) from None
    except Exception as exc:  # an unknown topic, for one
        raise InvalidInput(where, str(exc)) from None


async def import_data(
    db: Database,
    doc: dict[str, Any],
    clock: Clock = system_clock,
    *,
    stats: bulk.WriteStats | None = None,
) -> dict[str, int]:
    """Validate every record and write all of them, or nothing.

    The rows are written in short transactions, hidden until one final transaction shows
    them all, so the running bot keeps writing meanwhile (see `storage.bulk`); a large
    file is validated in a helper process, chunk by chunk, while the previous chunk is
    written. Any invalid record or conflict leaves the database as it was. Digest windows
    include the developments of an import made visible in the window. `stats`, when
    given, receives how long the write lock was held.
    """
    at = iso_utc(clock())
    check_document(doc)
    items: list[dict[str, Any]] = list(doc.get("developments", []))
    # Stamped when the import is made visible (they are not hidden while it is written).
    assessments = [
        _assessment(item, i, bulk.STAMP_AT_FLIP)
        for i, item in enumerate(doc.get("assessments", []), 1)
    ]
    datasets = _datasets(doc.get("datasets", []))
    ids, seed_keys = _given_ids_and_keys(items)
    taken = await bulk.existing_ids(db, ids)
    if taken:
        raise Conflict(
            f"development ids already in this database: {', '.join(map(str, taken[:5]))}"
            f"{' …' if len(taken) > 5 else ''}. Import into an empty database, or remove the "
            "ids from the file to add the records as new developments."
        )
    keys = seed_keys + [k for _, k in assessments if k]
    clash = await bulk.existing_seed_keys(db, keys)
    if clash:
        raise Conflict(f"starter-dataset records already present: {', '.join(clash[:3])}")
    staged = await bulk.StagedImport.begin(
        db,
        started_at=at,
        new_records=sum(map(_without_id, items)),
        highest_given_id=max(ids, default=0),
        stats=stats,
    )
    try:
        prepare = functools.partial(
            prepare_rows,
            items,
            at=at,
            import_id=staged.import_id,
            first_new_id=staged.next_free,
            new_before=_running_count(items),
        )
        async with contextlib.aclosing(_prepared_batches(prepare, len(items))) as batches:
            async for rows in batches:
                await staged.write_rows(rows)
        await staged.finish(assessments, datasets, lambda: iso_utc(clock()))
    except sqlite3.IntegrityError as exc:
        await staged.discard()
        raise InvalidInput(
            "file", f"contains conflicting records ({exc}); nothing was imported"
        ) from None
    except BaseException:
        await staged.discard()
        raise
    log.info("imported developments=%s assessments=%s", len(items), len(assessments))
    return {"developments": len(items), "assessments": len(assessments)}


# Files at least this large are prepared in a helper process (bulk.IMPORT_BATCH records a
# transaction).
OFFLOAD_MIN = 5000


def prepare_rows(
    items: list[dict[str, Any]],
    start: int,
    end: int,
    *,
    at: str,
    import_id: int,
    first_new_id: int,
    new_before: list[int],
) -> Any:
    """Records `start`..`end` of a file validated, given ids and revisions, and turned into
    table rows: ("ok", rows), or ("invalid", field, rule) for the first invalid record
    (plain data, to cross from a helper process)."""
    try:
        records = [_record(items[i], i + 1, at) for i in range(start, end)]
    except InvalidInput as exc:
        return ("invalid", exc.field, exc.rule)
    next_id = first_new_id + new_before[start]
    for r in records:
        if r.id is None:
            r.id, next_id = next_id, next_id + 1
    # A record without revisions gets an "import" one, made by SQLite from its rows.
    return ("ok", bulk.record_rows(records, import_id, import_revision_at=at))


def _without_id(item: Any) -> bool:
    return not isinstance(item, dict) or item.get("id") in (None, "")


def _running_count(items: list[dict[str, Any]]) -> list[int]:
    """For each position, how many records before it have no id (they get ids in order)."""
    counts = [0]
    for item in items:
        counts.append(counts[-1] + _without_id(item))
    return counts


async def _prepared_batches(
    prepare: Callable[[int, int], Any], total: int
) -> AsyncGenerator[dict[str, list[Any]], None]:
    """The rows of each batch of the file, in order; raises at the first invalid record.
    A large file is prepared in a helper process, the next batch while one is written."""
    results: AsyncGenerator[Any, None]
    if total < OFFLOAD_MIN or not offload.can_fork():
        results = _inline(prepare, total)
    else:
        results = offload.chunks_in_child(prepare, total, bulk.IMPORT_BATCH)
    async with contextlib.aclosing(results):
        async for result in results:
            if result[0] == "invalid":
                raise InvalidInput(result[1], result[2])
            yield result[1]


async def _inline(prepare: Callable[[int, int], Any], total: int) -> AsyncGenerator[Any, None]:
    for start in range(0, total, bulk.IMPORT_BATCH):
        yield prepare(start, min(start + bulk.IMPORT_BATCH, total))


def _given_ids_and_keys(items: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    """The development ids and seed keys a file gives (before validation, which rejects
    malformed ones later): a duplicate id is refused at once."""
    ids: list[int] = []
    for item in items:
        raw = item.get("id") if isinstance(item, dict) else None
        if raw in (None, ""):
            continue
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            continue
    if len(set(ids)) != len(ids):
        raise InvalidInput("file", "the same development id appears twice")
    keys = [
        str(item["seed_key"]) for item in items if isinstance(item, dict) and item.get("seed_key")
    ]
    return ids, keys


def _datasets(items: Any) -> list[tuple[str, str]]:
    if not isinstance(items, list):
        raise InvalidInput("datasets", "must be a list")
    found = []
    for index, raw in enumerate(items, start=1):
        item = import_schema.check(import_schema.DatasetIn, raw, f"dataset {index}")
        found.append((item["dataset"], item["loaded_at"]))
    return found
