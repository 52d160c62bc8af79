"""Chinese labels of event types, fields and enum symbols, read from the contracts' own docs.

Every record and field description of the Avro contracts starts with its Chinese name
(``审批结果 — A licence decision …``), so the console never keeps a second, drifting list.
"""

from __future__ import annotations

from enum import Enum
from functools import cache

from pydantic import BaseModel

from sgbus.bus.events import EVENT_CLASSES

_SEP = " — "


def _head(doc: str | None, fallback: str) -> str:
    if not doc or _SEP not in doc:
        return fallback
    return doc.split(_SEP, 1)[0].strip()


@cache
def event_label(event_type: str) -> str:
    """``审批结果`` for ``ApprovalResult``; the type itself when it has no Chinese name."""
    cls = EVENT_CLASSES.get(event_type)
    return _head(cls.__doc__ if cls else None, event_type)


def field_label(model: type[BaseModel], name: str) -> str:
    """The Chinese label of a field of ``model``, else the field name."""
    info = model.model_fields.get(name)
    return _head(info.description if info else None, name)


@cache
def symbol_labels(enum: type[Enum]) -> dict[str, str]:
    """``{"MANUAL": "人工认领", …}`` from an enum's doc (``Symbols: MANUAL=人工认领 (…); …``)."""
    doc = enum.__doc__ or ""
    if "Symbols:" not in doc:
        return {}
    out: dict[str, str] = {}
    for part in doc.split("Symbols:", 1)[1].split(";"):
        name, _, rest = part.strip().partition("=")
        if rest:
            out[name.strip()] = rest.split("(", 1)[0].strip().rstrip(".")
    return out
