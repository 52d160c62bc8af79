"""Generate the pydantic models (``sgbus/bus/events/_models.py``) from the contract files.

The models are the schemas' Python face: one ``StrEnum`` per Avro enum, one frozen model per record,
one ``Event`` subclass per event. Regenerate with ``sgbus schemas codegen`` after editing a
schema; a unit test fails while the checked-in module differs from what this generator writes.
"""

from __future__ import annotations

import keyword
from typing import Any

from pydantic import BaseModel

from sgbus.bus.contracts.schema_set import ENVELOPE, NamedType, SchemaError, SchemaSet

_PRIMITIVE_TYPES = {
    "null": "None",
    "boolean": "bool",
    "int": "Int32",
    "long": "Int64",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "string": "str",
}
_LOGICAL_TYPES = {
    ("int", "date"): "datetime.date",
    ("long", "timestamp-millis"): "UtcMillis",
    ("string", "uuid"): "uuid.UUID",
}
_RESERVED = set(dir(BaseModel))

HEADER = '''"""Event models generated from schemas/avro by `sgbus schemas codegen`; do not edit."""

from __future__ import annotations

import datetime
import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from sgbus.bus.events._base import Int32, Int64, Record, UtcMillis

__all__ = {all_names!r}
'''


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def py_type(schema: Any) -> str:
    """The Python annotation of an Avro type, as source text."""
    if isinstance(schema, list):
        branches = [py_type(s) for s in schema if s != "null"]
        return " | ".join(branches) + (" | None" if "null" in schema else "")
    if isinstance(schema, str):
        return _PRIMITIVE_TYPES.get(schema) or _short(schema)
    kind = schema["type"]
    if kind == "array":
        return f"list[{py_type(schema['items'])}]"
    if kind == "map":
        return f"dict[str, {py_type(schema['values'])}]"
    logical = _LOGICAL_TYPES.get((kind, schema.get("logicalType", "")))
    return logical or _PRIMITIVE_TYPES[kind]


def _text(value: str) -> str:
    return repr(" ".join(value.split()))


def _default_src(fld: dict[str, Any], schema_set: SchemaSet) -> str | None:
    if "default" not in fld:
        return None
    value = fld["default"]
    if value is None:
        return "None"
    if isinstance(value, list):
        if value:
            raise SchemaError(f"field {fld['name']!r}: only an empty list may be an array default")
        return "list"
    ftype = fld["type"]
    if isinstance(ftype, str) and ftype not in _PRIMITIVE_TYPES:
        named = schema_set.get(ftype)
        if named.kind == "enum":
            return f"{named.name}.{value}"
        raise SchemaError(f"field {fld['name']!r}: record defaults are not supported")
    return repr(value)


def _field_src(fld: dict[str, Any], schema_set: SchemaSet, owner: NamedType) -> str:
    name = fld["name"]
    if keyword.iskeyword(name) or name in _RESERVED or name.startswith(("_", "model_")):
        raise SchemaError(f"{owner.path}: field name {name!r} clashes with Python or pydantic")
    default = _default_src(fld, schema_set)
    args = [f"description={_text(fld.get('doc', ''))}"]
    if default == "list":
        args.insert(0, "default_factory=list")
    elif default is not None:
        args.insert(0, f"default={default}")
    return f"    {name}: {py_type(fld['type'])} = Field({', '.join(args)})"


def _enum_src(named: NamedType) -> str:
    lines = [f"class {named.name}(StrEnum):", f"    {_docstring(named)}", ""]
    lines += [f"    {sym} = {sym!r}" for sym in named.definition["symbols"]]
    return "\n".join(lines)


def _docstring(named: NamedType) -> str:
    doc = " ".join(str(named.definition.get("doc", "")).split()).replace('"""', "'''")
    return f'"""{doc}"""'


def _record_src(named: NamedType, schema_set: SchemaSet, is_event: bool) -> str:
    base = "Event" if is_event else "Record"
    lines = [f"class {named.name}({base}):", f"    {_docstring(named)}", ""]
    lines.append(f"    AVRO_NAME: ClassVar[str] = {named.fullname!r}")
    fields = named.definition.get("fields", [])
    if is_event:
        lines.append(f"    SCHEMA_VERSION: ClassVar[int] = {schema_set.version(named.name)}")
        fields = fields[1:]  # the envelope is declared once, on Event
    lines.append("")
    lines += [_field_src(f, schema_set, named) for f in fields]
    return "\n".join(lines).rstrip()


def _event_base_src(schema_set: SchemaSet) -> str:
    env_doc = _text("信封 — Common envelope: identity, routing and correlation of the event.")
    return "\n".join(
        [
            "class Event(Record):",
            '    """An event on the bus: the envelope first, then the payload fields."""',
            "",
            "    SCHEMA_VERSION: ClassVar[int] = 0",
            "",
            f"    envelope: {ENVELOPE} = Field(description={env_doc})",
        ]
    )


def _dependencies(named: NamedType, schema_set: SchemaSet) -> list[str]:
    found: list[str] = []

    def visit(schema: Any) -> None:
        if isinstance(schema, list):
            for branch in schema:
                visit(branch)
        elif isinstance(schema, dict):
            visit(schema.get("items") or schema.get("values"))
        elif isinstance(schema, str) and schema not in _PRIMITIVE_TYPES:
            target = schema_set.get(schema)
            if target.kind == "record":
                found.append(target.fullname)

    for fld in named.definition.get("fields", []):
        visit(fld["type"])
    return found


def _record_order(schema_set: SchemaSet) -> list[NamedType]:
    ordered: list[NamedType] = []
    done: set[str] = set()

    def place(named: NamedType) -> None:
        if named.fullname in done:
            return
        done.add(named.fullname)
        for dep in _dependencies(named, schema_set):
            place(schema_set.types[dep])
        ordered.append(named)

    records = [t for t in schema_set.walk_types() if t.kind == "record"]
    place(schema_set.get(ENVELOPE))
    for named in sorted(records, key=lambda t: (t.name in schema_set.event_names, t.name)):
        place(named)
    return ordered


def generate(schema_set: SchemaSet) -> str:
    """The full source of ``_models.py`` for ``schema_set``."""
    enums = sorted((t for t in schema_set.walk_types() if t.kind == "enum"), key=lambda t: t.name)
    records = _record_order(schema_set)
    events = schema_set.event_names
    names = [t.name for t in enums] + [t.name for t in records] + ["EVENT_CLASSES", "Event"]
    # constants first, then classes: the order ruff's RUF022 keeps
    all_names = sorted(names, key=lambda n: (not n.isupper(), n))
    parts = [HEADER.format(all_names=all_names).rstrip()]
    parts += [_enum_src(t) for t in enums]
    for named in records:
        parts.append(_record_src(named, schema_set, named.name in events))
        if named.name == ENVELOPE:
            parts.append(_event_base_src(schema_set))
    mapping = "\n".join(f"    {n!r}: {n}," for n in events)
    parts.append(f"EVENT_CLASSES: dict[str, type[Event]] = {{\n{mapping}\n}}")
    return "\n\n\n".join(parts) + "\n"
