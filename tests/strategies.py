"""Hypothesis strategies that draw valid events straight from the Avro schemas."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

from sgbus.bus.contracts.schema_set import SchemaSet, qualify
from sgbus.bus.events import Event, event_class

_ZONES = st.sampled_from(
    [
        datetime.UTC,
        datetime.timezone(datetime.timedelta(hours=8)),
        datetime.timezone(-datetime.timedelta(hours=5, minutes=30)),
    ]
)
_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False),
    "bytes": st.binary(max_size=24),
    "string": st.text(max_size=24),
}
_LOGICAL: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("string", "uuid"): st.uuids(),
    ("int", "date"): st.dates(),
    ("long", "timestamp-millis"): st.datetimes(
        min_value=datetime.datetime(1900, 1, 2),
        max_value=datetime.datetime(2200, 1, 1),
        timezones=_ZONES,
    ),
}


def _strategy(schema: Any, ns: str, names: dict[str, Any]) -> st.SearchStrategy[Any]:
    if isinstance(schema, list):
        return st.one_of(*[_strategy(b, ns, names) for b in schema])
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return _PRIMITIVES[schema]
        return _strategy(names[qualify(schema, ns)], ns, names)
    kind = schema["type"]
    if kind in ("record", "enum"):
        fullname = qualify(schema["name"], schema.get("namespace", ns))
        names[fullname] = schema
        ns = fullname.rpartition(".")[0]
        if kind == "enum":
            return st.sampled_from(schema["symbols"])
        fields = {f["name"]: _strategy(f["type"], ns, names) for f in schema["fields"]}
        return st.fixed_dictionaries(fields)
    if kind == "array":
        return st.lists(_strategy(schema["items"], ns, names), max_size=3)
    if kind == "map":
        return st.dictionaries(
            st.text(max_size=8), _strategy(schema["values"], ns, names), max_size=3
        )
    logical = _LOGICAL.get((kind, schema.get("logicalType", "")))
    return logical if logical is not None else _PRIMITIVES[kind]


def event_data(schema_set: SchemaSet, name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts shaped like event ``name`` (types right, business rules ignored)."""
    return _strategy(schema_set.expand(name), "", {})


# Built once per schema set and event: tests draw from them inside every example, and a fresh
# strategy would be validated again each time (most of the cost of a draw).
_EVENTS: dict[tuple[int, str], st.SearchStrategy[Event]] = {}


def events(schema_set: SchemaSet, name: str) -> st.SearchStrategy[Event]:
    """Valid model instances of event ``name``, with the envelope's event type set right."""
    key = (id(schema_set), name)
    found = _EVENTS.get(key)
    if found is None:
        cls = event_class(name)

        def build(data: dict[str, Any]) -> Event:
            data["envelope"]["event_type"] = name
            return cls.model_validate(data)

        found = _EVENTS[key] = event_data(schema_set, name).map(build)
    return found
