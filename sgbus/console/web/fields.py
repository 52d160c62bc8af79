"""An event as rows of Chinese label and value, for the item page. Pure.

Labels come from the contracts' field descriptions; enum symbols are shown by their Chinese
name; nested records become groups; attachments and material references keep their address so
the page can link it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

from sgbus.console.labels import field_label, symbol_labels

#: The envelope's fields are shown in their own section; these are not useful to an officer.
_HIDDEN = frozenset({"envelope", "original_value", "schema_version"})

#: Fields holding a document's address (Attachment.uri, MaterialReference.url): shown as a link
#: when it is a web address (never another scheme, e.g. javascript:).
_LINKED = frozenset({"uri", "url"})


@dataclass(frozen=True)
class FieldRow:
    """One field: its label, a text value, or the rows of a nested record (or list of them)."""

    name: str
    label: str
    text: str | None = None
    children: list[list[FieldRow]] = field(default_factory=list)
    link: str | None = None


def rows_of(
    model: type[BaseModel], data: dict[str, Any], *, hidden: frozenset[str] = _HIDDEN
) -> list[FieldRow]:
    """The rows of ``data`` (a model dump in JSON mode) in the model's field order."""
    out = []
    for name, info in model.model_fields.items():
        if name in hidden or name not in data:
            continue
        out.append(_row(name, field_label(model, name), info.annotation, data[name]))
    return out


def _row(name: str, label: str, annotation: Any, value: Any) -> FieldRow:
    record = _record_type(annotation)
    if record is not None and isinstance(value, dict):
        return FieldRow(name, label, children=[rows_of(record, value, hidden=frozenset())])
    if record is not None and isinstance(value, list):
        groups = [rows_of(record, v, hidden=frozenset()) for v in value if isinstance(v, dict)]
        return FieldRow(name, label, text=None if groups else "—", children=groups)
    web = isinstance(value, str) and value.lower().startswith(("https://", "http://"))
    link = value if name in _LINKED and web else None
    return FieldRow(name, label, text=_text(annotation, value), link=link)


def _record_type(annotation: Any) -> type[BaseModel] | None:
    """The record class in ``X``, ``X | None``, ``list[X]`` or ``list[X] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _record_type(arg)
        if found is not None:
            return found
    return None


def _enum_type(annotation: Any) -> type[Enum] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None


def _text(annotation: Any, value: Any) -> str:
    if value is None or value == []:
        return "—"
    enum = _enum_type(annotation)
    if enum is not None:
        labels = symbol_labels(enum)
        if isinstance(value, list):
            return "、".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)
