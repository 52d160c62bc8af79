"""Flat columns of an event type, for spreadsheets (pure).

A row of a CSV or XLSX file is one event. Its columns are the event's leaf fields, named by
their Chinese labels from the contract docs joined with ``.`` (``行政相对人.统一社会信用代码``)
or by the English field path (``licensee.uscc``); a clerk may use either, and write an enum
by its symbol or its Chinese label (``设立`` or ``ESTABLISH``). Lists (materials, attachments)
are left out, and of the envelope only what a row must say: the region and case key, and
optionally the event id and the time it happened.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union

from pydantic import AwareDatetime, BaseModel

from sgbus.bus.events import Envelope, Event
from sgbus.console.labels import field_label, symbol_labels

#: Envelope fields a row may give; the rest come from the connector.
ENVELOPE_COLUMNS = ("region", "case_key", "event_id", "occurred_at")
_YES = {"是", "true", "yes", "1", "y"}
_NO = {"否", "false", "no", "0", "n"}


class CellError(ValueError):
    """A cell that cannot be read as its field's type; says which column and why."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"{column}: {problem}")
        self.column = column
        self.problem = problem


@dataclass(frozen=True)
class Column:
    """One leaf field: its path, its two names, its type, and whether it is required."""

    path: tuple[str, ...]
    english: str
    chinese: str
    kind: Any
    required: bool


def columns(event_cls: type[Event]) -> list[Column]:
    """The columns of ``event_cls``, envelope first, in field order."""
    out = [
        _column(
            event_cls,
            ("envelope", name),
            Envelope.model_fields[name].annotation,
            name in ("region", "case_key"),  # the id is derived, the time defaults
        )
        for name in ENVELOPE_COLUMNS
    ]
    for name, info in event_cls.model_fields.items():
        if name != "envelope":
            out += _leaves(event_cls, (name,), info.annotation, info.is_required())
    return out


def header_map(event_cls: type[Event]) -> dict[str, Column]:
    """Both names of every column → the column."""
    found: dict[str, Column] = {}
    for column in columns(event_cls):
        found[column.english] = column
        found[column.chinese] = column
    return found


def row_to_data(cells: dict[Column, Any]) -> dict[str, Any]:
    """The nested JSON-like data of one row; empty cells are left out. Raises
    :class:`CellError` for a cell its field cannot take."""
    data: dict[str, Any] = {}
    for column, raw in cells.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        value = _convert(column, raw)
        node = data
        for part in column.path[:-1]:
            node = node.setdefault(part, {})
        node[column.path[-1]] = value
    return data


def event_to_cells(event: Event) -> dict[Column, Any]:
    """The cells of ``event`` (the inverse of :func:`row_to_data`, for templates and tests)."""
    data = event.model_dump(mode="json")
    out: dict[Column, Any] = {}
    for column in columns(type(event)):
        node: Any = data
        for part in column.path:
            node = node.get(part) if isinstance(node, dict) else None
        out[column] = node
    return out


def _leaves(
    root: type[Event], path: tuple[str, ...], annotation: Any, required: bool
) -> list[Column]:
    kind, optional = _unwrap(annotation)
    if typing.get_origin(kind) is list:
        return []
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        out = []
        for name, info in kind.model_fields.items():
            child_required = required and not optional and info.is_required()
            out += _leaves(root, (*path, name), info.annotation, child_required)
        return out
    return [_column(root, path, annotation, required and not optional)]


def _column(root: type[Event], path: tuple[str, ...], annotation: Any, required: bool) -> Column:
    english = ".".join(p for p in path if p != "envelope")
    chinese = ".".join(_chinese(root, path))
    kind, optional = _unwrap(annotation)
    return Column(path, english, chinese, kind, required and not optional)


def _chinese(root: type[Event], path: tuple[str, ...]) -> list[str]:
    labels: list[str] = []
    model: Any = root
    for part in path:
        info = model.model_fields[part]
        if part != "envelope":
            labels.append(field_label(model, part))
        model, _ = _unwrap(info.annotation)
    return labels


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type inside ``Annotated``/``Optional``, whether None is allowed)."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0] if len(args) == 1 else str
        else:
            return annotation, optional


def _convert(column: Column, raw: Any) -> Any:
    kind = column.kind
    text = raw.strip() if isinstance(raw, str) else raw
    try:
        if isinstance(kind, type) and issubclass(kind, Enum):
            return _symbol(kind, str(text))
        if kind is bool:
            return _bool(text)
        if kind is int:
            return int(text)
        if kind in (dt.datetime, AwareDatetime):
            return _instant(text)
        if kind is dt.date:
            return _date(text)
        if kind is uuid.UUID:
            return str(uuid.UUID(str(text)))
    except (ValueError, TypeError) as exc:
        raise CellError(column.chinese, str(exc) or "not readable") from None
    return str(text) if not isinstance(text, str) else text


def _symbol(enum: type[Enum], text: str) -> str:
    by_label = {label: symbol for symbol, label in symbol_labels(enum).items()}
    if text in by_label:
        return by_label[text]
    if text.upper() in enum.__members__:
        return text.upper()
    known = "、".join(by_label) or ", ".join(enum.__members__)
    raise ValueError(f"not one of {known}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError("write 是 or 否")


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("/", "-").replace("年", "-").replace("月", "-").rstrip("日")
    return dt.date.fromisoformat(text).isoformat()


def _instant(value: Any) -> str:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:  # a clerk's wall clock is Beijing time
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return moment.isoformat()
