"""Load the ``.avsc`` contracts: one named type per file, references by name, no inline definitions.

An event's registered and encoded schema is *self-contained*: every named type it uses is inlined at
its first use (depth first, in field order) and referred to by full name afterwards. That keeps the
registry free of schema references, which not every Confluent-compatible registry resolves alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sgbus.bus.contracts.paths import schema_dir

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_KINDS = frozenset({"record", "enum", "fixed", "error"})
ENVELOPE = "Envelope"

JsonSchema = Any  # str | list | dict: the JSON form of an Avro schema


class SchemaError(Exception):
    """A contract file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class NamedType:
    """One ``.avsc`` file: a record, enum or fixed with its full name."""

    fullname: str
    kind: str
    definition: dict[str, Any]
    path: Path

    @property
    def name(self) -> str:
        """The unqualified name, e.g. ``ApprovalResult``."""
        return self.fullname.rsplit(".", 1)[-1]

    @property
    def namespace(self) -> str:
        """The namespace, e.g. ``sgbus.events``."""
        return self.fullname.rsplit(".", 1)[0] if "." in self.fullname else ""


def qualify(name: str, namespace: str) -> str:
    """Full name of ``name`` seen inside ``namespace`` (Avro name resolution)."""
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None


def _named_type_of(path: Path, data: Any) -> NamedType:
    if not isinstance(data, dict) or data.get("type") not in NAMED_KINDS:
        raise SchemaError(f"{path}: the file must hold one record, enum or fixed")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SchemaError(f"{path}: missing 'name'")
    if path.stem != name.rsplit(".", 1)[-1]:
        raise SchemaError(f"{path}: file name must be the type's name ({name}.avsc)")
    fullname = qualify(name, str(data.get("namespace", "")))
    return NamedType(fullname=fullname, kind=str(data["type"]), definition=data, path=path)


@dataclass
class SchemaSet:
    """All Avro contract types of one schema folder (not to be confused with
    :mod:`sgbus.bus.catalogue`, the catalogue of matters)."""

    base: Path
    types: dict[str, NamedType]
    _expanded: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, base: Path | None = None) -> SchemaSet:
        """Read every ``*.avsc`` directly in ``base`` (not ``history/``) and check references."""
        folder = base or schema_dir()
        types: dict[str, NamedType] = {}
        for path in sorted(folder.glob("*.avsc")):
            named = _named_type_of(path, _read_json(path))
            if named.fullname in types:
                raise SchemaError(
                    f"{path}: {named.fullname} is also defined in {types[named.fullname].path}"
                )
            types[named.fullname] = named
        if not types:
            raise SchemaError(f"{folder}: no .avsc files")
        schema_set = cls(base=folder, types=types)
        for name in schema_set.types:
            schema_set.expand(name)  # fails early, naming the file, on a dangling reference
        return schema_set

    # ------------------------------------------------------------------ lookup
    def get(self, name: str) -> NamedType:
        """Look a type up by full or unqualified name."""
        if name in self.types:
            return self.types[name]
        matches = [t for t in self.types.values() if t.name == name]
        if len(matches) == 1:
            return matches[0]
        raise KeyError(f"unknown schema type {name!r}")

    @cached_property
    def event_names(self) -> list[str]:
        """Unqualified names of the event records: records whose first field is the envelope."""
        return sorted(t.name for t in self.types.values() if self._is_event(t))

    def _is_event(self, named: NamedType) -> bool:
        if named.kind != "record" or named.name == ENVELOPE:
            return False
        fields = named.definition.get("fields") or []
        if not fields or fields[0].get("name") != "envelope":
            return False
        ref = fields[0].get("type")
        return isinstance(ref, str) and qualify(ref, named.namespace).endswith("." + ENVELOPE)

    def version(self, name: str) -> int:
        """The event's own schema version (its ``version`` attribute)."""
        named = self.get(name)
        version = named.definition.get("version")
        if not isinstance(version, int) or version < 1:
            raise SchemaError(f"{named.path}: an event needs an integer 'version' >= 1")
        return version

    # --------------------------------------------------------------- expansion
    def expand(self, name: str) -> dict[str, Any]:
        """The self-contained schema of a type, with every named type it uses inlined once."""
        named = self.get(name)
        cached = self._expanded.get(named.fullname)
        if cached is None:
            cached = self._inline(named, set())
            self._expanded[named.fullname] = cached
        return copy.deepcopy(cached)

    def _inline(self, named: NamedType, seen: set[str]) -> dict[str, Any]:
        seen.add(named.fullname)
        out = {k: v for k, v in named.definition.items() if k not in ("name", "namespace")}
        out = {"type": out.pop("type"), "name": named.name, "namespace": named.namespace, **out}
        if named.kind in ("record", "error"):
            fields = []
            for fld in named.definition.get("fields", []):
                where = f"{named.path}: field {fld.get('name')!r}"
                fields.append(
                    {**fld, "type": self._resolve(fld.get("type"), named.namespace, seen, where)}
                )
            out["fields"] = fields
        return out

    def _resolve(
        self, schema: JsonSchema, namespace: str, seen: set[str], where: str
    ) -> JsonSchema:
        if isinstance(schema, list):
            return [self._resolve(s, namespace, seen, where) for s in schema]
        if isinstance(schema, dict):
            kind = schema.get("type")
            if kind in NAMED_KINDS:
                raise SchemaError(
                    f"{where}: inline named type {schema.get('name')!r}; put it in its own file"
                )
            if kind == "array":
                return {
                    **schema,
                    "items": self._resolve(schema.get("items"), namespace, seen, where),
                }
            if kind == "map":
                return {
                    **schema,
                    "values": self._resolve(schema.get("values"), namespace, seen, where),
                }
            if kind in PRIMITIVES:
                return dict(schema)
            raise SchemaError(f"{where}: unknown type {kind!r}")
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return schema
            fullname = qualify(schema, namespace)
            if fullname not in self.types:
                raise SchemaError(
                    f"{where}: unknown type {schema!r} (no {schema.rsplit('.', 1)[-1]}.avsc)"
                )
            if fullname in seen:
                return fullname
            return self._inline(self.types[fullname], seen)
        raise SchemaError(f"{where}: a type must be a name, a list or an object")

    def walk_types(self) -> Iterator[NamedType]:
        """Every type, in file-name order."""
        yield from sorted(self.types.values(), key=lambda t: t.path.name)
