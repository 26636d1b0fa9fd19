"""The shapes an import file may have, as strict pydantic models.

Types are checked strictly (no `5.7` → 5, no `true` → 1, no list stored as its repr) before
the value rules of `bot.core.validation` run; the first problem becomes one `InvalidInput`
naming the record and the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)

from bot.domain.clock import parse_utc
from bot.domain.errors import InvalidInput

MAX_NESTING = 12
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def _timestamp(value: str) -> str:
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError("must be a UTC timestamp like 2023-03-16T09:00:00Z")
    try:
        parse_utc(value)
    except ValueError:
        raise ValueError(f"{value[:30]!r} is not a real moment") from None
    return value


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_NESTING:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    if _depth(value) > MAX_NESTING:
        raise ValueError(f"is nested more than {MAX_NESTING} levels deep")
    return value


def _text_or_texts(value: Any) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError("must be text or a list of texts")


def _whole_or_digits(value: Any) -> int | str:
    # bool is an int subclass: `true` is not an importance.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value
    raise ValueError("must be a whole number")


Timestamp = Annotated[str, AfterValidator(_timestamp)]
Text = Annotated[str, Field(max_length=10_000)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=200)]
TextOrTexts = Annotated[Any, PlainValidator(_text_or_texts)]
WholeOrDigits = Annotated[Any, PlainValidator(_whole_or_digits)]
Change = Annotated[list[Any], Field(min_length=2, max_length=2)]


class _Strict(BaseModel):
    # Unknown keys (CSV's `_where`, fields of newer exports) are ignored, not stored.
    model_config = ConfigDict(strict=True, extra="ignore")


class SourceIn(_Strict):
    """One source of a development or an assessment."""

    title: Text | None = None
    publisher: Text | None = None
    url: Text | None = None
    published_on: Text | None = None
    accessed_on: Text | None = None


class RevisionIn(_Strict):
    """One revision of a development's history."""

    number: int = Field(ge=1, lt=2**31)
    action: Literal["create", "edit", "retract", "import"]
    actor: NonEmpty
    at: Timestamp
    changes: Annotated[dict[str, Change], AfterValidator(_shallow)]
    snapshot: Annotated[dict[str, Any], AfterValidator(_shallow)]


class DevelopmentIn(_Strict):
    """A development record; value rules (lengths, codes, dates) are checked afterwards."""

    id: int | None = Field(default=None, gt=0, lt=2**63)
    scope: WholeOrDigits | None = None
    kind: Text | None = None
    title: Text | None = None
    summary: Text | None = None
    date: Text | None = None
    countries: TextOrTexts | None = None
    domain: Text | None = None
    tags: TextOrTexts | None = None
    importance: WholeOrDigits | None = None
    why_it_matters: Text | None = None
    status: Text | None = None
    retraction_reason: Text | None = None
    created_by: NonEmpty | None = None
    created_at: Timestamp | None = None
    updated_by: NonEmpty | None = None
    updated_at: Timestamp | None = None
    seed_key: NonEmpty | None = None
    sources: list[SourceIn] | Text | None = None
    # A factory, not `[]`: pydantic deep-copies a mutable default for every record.
    revisions: list[RevisionIn] = Field(default_factory=list)


class AssessmentIn(_Strict):
    """An assessment record."""

    topic: Text | None = None
    scope: WholeOrDigits | None = None
    bottom_line: Text | None = None
    trend: Text | None = None
    watch_next: TextOrTexts | None = None
    author: NonEmpty | None = None
    created_at: Timestamp | None = None
    seed_key: NonEmpty | None = None
    sources: list[SourceIn] | Text | None = None


class DatasetIn(_Strict):
    """A bundled dataset already loaded."""

    dataset: NonEmpty
    loaded_at: Timestamp


class DocumentIn(_Strict):
    """The whole file; records are checked one by one so errors can name them."""

    format: str = "trilateral-brief-export"
    version: int = 1
    developments: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    datasets: list[DatasetIn] = []


_PLURALS = {"developments": "development", "assessments": "assessment", "datasets": "dataset",
            "sources": "source", "revisions": "revision"}  # fmt: skip
_RULES = {
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "list_type": "must be a list",
    "missing": "is required",
    "bool_type": "must be true or false",
}


def _is_type_tag(part: str) -> bool:
    """Pydantic names the member of a union it tried (`str`, `list[SourceIn]`) in `loc`."""
    return "[" in part or part in ("str", "int", "none", "function-plain", "function-after")


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(str(part + 1))
        elif not _is_type_tag(part):
            parts.append(_PLURALS.get(part, part))
    return " ".join(parts)


def as_invalid_input(error: ValidationError, where: str) -> InvalidInput:
    """The first problem of `error` as one line: `development 3 revision 1 at: …`."""
    first = error.errors(include_url=False)[0]
    kind = str(first["type"])
    rule = _RULES.get(kind) or str(first["msg"]).removeprefix("Value error, ")
    field = _field_name(tuple(first["loc"]))
    return InvalidInput(f"{where} {field}".strip(), rule)


def check(model: type[_Strict], data: Any, where: str) -> Any:
    """`data` validated by `model` as plain Python values, or `InvalidInput`."""
    if not isinstance(data, dict):
        raise InvalidInput(where, "must be an object")
    try:
        return model.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise as_invalid_input(exc, where) from None


_RECORD_LISTS = ("developments", "assessments")


def _objects(value: Any) -> bool:
    """Whether `value` is a list of objects with text keys (what `DocumentIn` accepts)."""
    return type(value) is list and all(
        type(item) is dict and all(type(key) is str for key in item) for item in value
    )


def check_document(doc: Any) -> DocumentIn:
    """The document's own fields validated (records are checked one by one later).

    Lists of records that `DocumentIn` would accept are left out of its validation, which
    would copy every record (1.5 s for 100,000 developments before anything is written);
    any other document is validated whole, so the first problem reported is the same.
    """
    if not isinstance(doc, dict):
        raise InvalidInput("", "must be an object")
    head = {k: v for k, v in doc.items() if k not in _RECORD_LISTS or not _objects(v)}
    try:
        return DocumentIn.model_validate(head)
    except ValidationError as exc:
        raise as_invalid_input(exc, "") from None
