"""Personal data in events: fields marked ``"pii": true`` in the schemas.

:func:`pii_paths` lists them for an event type; :func:`redact` gives a JSON-ready copy of an event
with those values masked, fit for logs.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.contracts.walk import field_paths, iter_fields
from sgbus.bus.events import Event, event_type_of
from sgbus.bus.validation.masking import mask


@lru_cache(maxsize=1)
def _schema_set() -> SchemaSet:
    return SchemaSet.load()


@cache
def _schema(event_type: str) -> dict[str, Any]:
    return _schema_set().expand(event_type)


def pii_paths(event: str | Event | type[Event]) -> list[str]:
    """Personal-data field paths of an event type: ``licensee.phone``, ``inspectors[].name``…"""
    name = event if isinstance(event, str) else event_type_of(event)
    return [path for path, fld in field_paths(_schema(name)) if fld.get("pii") is True]


def redact(event: Event) -> dict[str, Any]:
    """A JSON-ready dict of ``event`` with every personal-data value masked."""
    data = event.model_dump(mode="json")
    for visit in iter_fields(_schema(event_type_of(event)), data):
        if visit.field.get("pii") is True and visit.value is not None:
            name = visit.field["name"]
            value = visit.parent[name]
            visit.parent[name] = (
                [mask(v) for v in value] if isinstance(value, list) else mask(value)
            )
    return data
