"""Walk a self-contained schema, alone or alongside a record's data, field by field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sgbus.bus.contracts.schema_set import PRIMITIVES, qualify


@dataclass(frozen=True)
class FieldVisit:
    """One field met on the walk: its path (``licensee.phone``, ``items[0].title``), definition,
    value, and the record (as a dict) that holds it."""

    path: str
    field: dict[str, Any]
    value: Any
    parent: dict[str, Any]
    record_name: str


class _Names:
    def __init__(self) -> None:
        self.table: dict[str, dict[str, Any]] = {}

    def resolve(self, schema: Any, ns: str) -> tuple[Any, str]:
        if isinstance(schema, str) and schema not in PRIMITIVES:
            schema = self.table[qualify(schema, ns)]
        if isinstance(schema, dict) and schema.get("type") in ("record", "enum", "fixed"):
            fullname = qualify(schema["name"], str(schema.get("namespace", ns)))
            self.table[fullname] = schema
            return schema, fullname.rpartition(".")[0]
        return schema, ns


def iter_fields(schema: dict[str, Any], data: dict[str, Any]) -> Iterator[FieldVisit]:
    """Every field of ``data`` (a record dict shaped by ``schema``), depth first, nested too."""
    names = _Names()
    root, ns = names.resolve(schema, "")
    yield from _record(root, ns, data, "", names)


def _record(
    schema: dict[str, Any], ns: str, data: dict[str, Any], path: str, names: _Names
) -> Iterator[FieldVisit]:
    for fld in schema["fields"]:
        value = data.get(fld["name"])
        fpath = f"{path}.{fld['name']}" if path else fld["name"]
        yield FieldVisit(fpath, fld, value, data, schema["name"])
        yield from _value(fld["type"], ns, value, fpath, names)


def _value(schema: Any, ns: str, value: Any, path: str, names: _Names) -> Iterator[FieldVisit]:
    schema, ns = names.resolve(schema, ns)
    if value is None:
        # still register named types defined inside, so later references resolve
        _register(schema, ns, names)
        return
    if isinstance(schema, list):
        branch = next((b for b in schema if b != "null"), "null")
        yield from _value(branch, ns, value, path, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "record":
            yield from _record(schema, ns, value, path, names)
        elif kind == "array":
            if not value:
                _register(schema["items"], ns, names)
            for i, item in enumerate(value):
                yield from _value(schema["items"], ns, item, f"{path}[{i}]", names)
        elif kind == "map":
            if not value:
                _register(schema["values"], ns, names)
            for key, item in value.items():
                yield from _value(schema["values"], ns, item, f"{path}{{{key}}}", names)


def _register(schema: Any, ns: str, names: _Names) -> None:
    schema, ns = names.resolve(schema, ns)
    if isinstance(schema, list):
        for branch in schema:
            _register(branch, ns, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "record":
            for fld in schema["fields"]:
                _register(fld["type"], ns, names)
        elif kind == "array":
            _register(schema["items"], ns, names)
        elif kind == "map":
            _register(schema["values"], ns, names)


def field_paths(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field path of a schema without data: arrays as ``[]``, maps as ``{}``."""
    names = _Names()
    root, ns = names.resolve(schema, "")
    yield from _paths(root, ns, "", names, set())


def _paths(
    schema: dict[str, Any], ns: str, path: str, names: _Names, stack: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    if schema["name"] in stack:
        return  # recursive type: stop
    stack = stack | {schema["name"]}
    for fld in schema["fields"]:
        fpath = f"{path}.{fld['name']}" if path else fld["name"]
        yield fpath, fld
        yield from _type_paths(fld["type"], ns, fpath, names, stack)


def _type_paths(
    schema: Any, ns: str, path: str, names: _Names, stack: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    schema, ns = names.resolve(schema, ns)
    if isinstance(schema, list):
        for branch in schema:
            yield from _type_paths(branch, ns, path, names, stack)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "record":
            yield from _paths(schema, ns, path, names, stack)
        elif kind == "array":
            yield from _type_paths(schema["items"], ns, path + "[]", names, stack)
        elif kind == "map":
            yield from _type_paths(schema["values"], ns, path + "{}", names, stack)
