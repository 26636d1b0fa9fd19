"""The bundled starter dataset: loaded into the global catalogue once, on first start.

A second start adds nothing (the load is recorded in `dataset_loads`), so later edits and
retractions of starter developments survive restarts. Its assessments carry their own
date (`set_on`: the analysis cannot predate the newest source it cites, 16 Apr 2023).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time
from importlib import resources
from typing import Any

from bot.core.actors import OPERATOR
from bot.core.validation import (
    parse_source,
    parse_trend,
    parse_watch_next,
    validate_development,
)
from bot.domain.clock import Clock, iso_utc, system_clock
from bot.domain.models import Assessment
from storage import assessments as assessment_queries
from storage import catalogue as queries
from storage.contract import Db

log = logging.getLogger(__name__)
DATASET_AUTHOR = "starter dataset"


def read_starter() -> dict[str, Any]:
    """The bundled dataset file as data."""
    text = resources.files("bot").joinpath("data/starter.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


async def load_starter(db: Db, clock: Clock = system_clock) -> int:
    """Load the starter dataset unless it was loaded before; returns developments added."""
    data = read_starter()
    name = data["dataset"]
    # A read first: on every later start there is nothing to load, and taking the write
    # lock for nothing would make reads wait for (or fail behind) another process's write.
    if await db.scalar("SELECT 1 FROM dataset_loads WHERE dataset = ?", (name,)):
        return 0
    at = iso_utc(clock())
    added = 0
    async with db.transaction() as w:
        claimed = await w.execute_rowcount(
            "INSERT INTO dataset_loads (dataset, loaded_at) VALUES (?, ?) "
            "ON CONFLICT (dataset) DO NOTHING",
            (name, at),
        )
        if not claimed:
            return 0
        sources = data["sources"]
        for item in data["developments"]:
            draft = validate_development(item | {"sources": [sources[k] for k in item["sources"]]})
            dev_id = await queries.insert_development(
                w, draft, scope=None, actor=DATASET_AUTHOR, at=at, seed_key=item["key"]
            )
            snapshot = draft.to_dict() | {
                "status": "published",
                "retraction_reason": None,
                "scope": "global",
            }
            await queries.insert_revision(
                w,
                dev_id,
                action="import",
                actor=DATASET_AUTHOR,
                at=at,
                changes={},
                snapshot=snapshot,
            )
            added += 1
        for item in data["assessments"]:
            assessment = Assessment(
                topic=item["topic"],
                bottom_line=item["bottom_line"],
                trend=parse_trend(item["trend"]),
                watch_next=parse_watch_next(item["watch_next"]),
                author=DATASET_AUTHOR,
                # The analysis's own date, not the install's: a fresh install's first digest
                # must not present a 2023 assessment as set this week.
                created_at=iso_utc(
                    datetime.combine(date.fromisoformat(item["set_on"]), time(), UTC)
                ),
                sources=tuple(
                    parse_source(sources[k], i) for i, k in enumerate(item["sources"], 1)
                ),
            )
            await assessment_queries.insert_assessment(w, assessment, seed_key=item["key"])
    log.info("starter dataset loaded dataset=%s developments=%s by=%s", name, added, OPERATOR.name)
    return added
