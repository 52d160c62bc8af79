"""The event reference: every event, record and enum of the Avro contracts, field by field."""

from __future__ import annotations

from typing import Any

from sgbus.bus.contracts.schema_set import NamedType, SchemaSet
from sgbus.docsgen.markdown import cell, code, page, prose, table


def type_text(schema: Any) -> str:
    """An Avro type in a few words; named types link to their section of this page."""
    if isinstance(schema, str):
        name = schema.rsplit(".", 1)[-1]
        return name if name in _PRIMITIVES else f"[{name}](#{name.lower()})"
    if isinstance(schema, list):
        kinds = [type_text(s) for s in schema if s != "null"]
        text = " or ".join(kinds)
        return f"{text} (optional)" if "null" in schema else text
    kind = schema.get("type")
    if "logicalType" in schema:
        return f"{schema['logicalType']} ({kind})"
    if kind == "array":
        return f"list of {type_text(schema['items'])}"
    if kind == "map":
        return f"map of {type_text(schema['values'])}"
    return type_text(kind)


_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def _default(field: dict[str, Any]) -> str:
    if "default" not in field:
        return ""
    value = field["default"]
    return "null" if value is None else str(value)


def _notes(field: dict[str, Any]) -> str:
    notes = []
    if field.get("pii"):
        notes.append("**personal data**")
    if "check" in field:
        notes.append(f"check `{field['check']}`")
    return "; ".join(notes)


def record_section(named: NamedType, version: int | None) -> str:
    """A record's heading, doc and field table."""
    definition = named.definition
    head = f"### {named.name}\n\n"
    if version is not None:
        head += f"Event, version {version}. "
    head += prose(cell(str(definition.get("doc", "")))) + "\n\n"
    rows = [
        [
            code(f["name"]),
            type_text(f["type"]),
            code(_default(f)),
            " ".join(x for x in (prose(str(f.get("doc", ""))), _notes(f)) if x),
        ]
        for f in definition.get("fields", [])
    ]
    return head + table(["field", "type", "default", "what"], rows)


def enum_section(named: NamedType) -> str:
    """An enum's heading, doc (which explains the symbols) and symbol list."""
    definition = named.definition
    symbols = ", ".join(code(s) for s in definition.get("symbols", []))
    default = definition.get("default")
    tail = f" Default: {code(default)}." if default else ""
    return (
        f"### {named.name}\n\n{prose(cell(str(definition.get('doc', ''))))}\n\n"
        f"Symbols: {symbols}.{tail}\n"
    )


INTRO = """
The contracts in `schemas/avro/` are the source of truth; this page is their `doc` texts
(中文术语 — English meaning). Every event starts with the shared [Envelope](#envelope). Fields
marked *personal data* never appear in logs, metric labels or error messages; a *check* names a
validation the bus applies beyond the schema (see `sgbus/bus/validation/checks.py`). Enums end
with `UNKNOWN`, their default, so an old reader survives a new symbol. The JSON Schemas in
`docs/jsonschema/` and the AsyncAPI document `docs/asyncapi.yaml` are generated from the same files.
"""


def events_page() -> str:
    """The whole event reference page."""
    schemas = SchemaSet.load()
    named = sorted(schemas.walk_types(), key=lambda t: t.name)
    events = set(schemas.event_names)
    sections = ["## Events\n"]
    sections += [record_section(t, schemas.version(t.name)) for t in named if t.name in events]
    sections.append("## Shared records\n")
    sections += [
        record_section(t, None) for t in named if t.kind == "record" and t.name not in events
    ]
    sections.append("## Enums\n")
    sections += [enum_section(t) for t in named if t.kind == "enum"]
    return page("Events", INTRO, sections)
