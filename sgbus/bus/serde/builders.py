"""Fast construction of models from decoded Avro data.

Data that fastavro decoded against the current schema already has the models' types (the models
are generated from the same schemas): ints in range, aware UTC datetimes at millisecond precision,
UUIDs, dates. Running pydantic validation again would only cost time, so each record gets a
compiled builder that converts enum symbols to their ``StrEnum`` members, recurses into nested
records, and instantiates the model directly, as ``model_construct`` would. A unit test checks
that the result equals what ``model_validate`` builds.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from types import ModuleType
from typing import Any

from sgbus.bus.contracts.schema_set import PRIMITIVES, qualify
from sgbus.bus.events._base import Record

Converter = Callable[[Any], Any]


class BuilderFactory:
    """Compiles one builder per record type, shared between events that embed it."""

    def __init__(self, models: ModuleType) -> None:
        self._models = models
        self._records: dict[str, Converter] = {}

    def for_schema(self, schema: dict[str, Any]) -> Converter:
        """A function turning a decoded dict of ``schema`` (an event record) into its model."""
        names: dict[str, dict[str, Any]] = {}
        converter = self._compile(schema, "", names)
        if converter is None:  # pragma: no cover - an event is always a record
            raise TypeError("an event schema must be a record")
        return converter

    def _class(self, fullname: str) -> Any:
        return getattr(self._models, fullname.rsplit(".", 1)[-1])

    def _compile(self, schema: Any, ns: str, names: dict[str, dict[str, Any]]) -> Converter | None:
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return None
            return self._compile(names[qualify(schema, ns)], ns, names)
        if isinstance(schema, list):
            return self._union(schema, ns, names)
        kind = schema["type"]
        if kind == "array":
            item = self._compile(schema["items"], ns, names)
            return None if item is None else (lambda v: [item(i) for i in v])
        if kind == "map":
            value = self._compile(schema["values"], ns, names)
            return None if value is None else (lambda v: {k: value(x) for k, x in v.items()})
        if kind in ("record", "enum", "fixed"):
            return self._named(schema, ns, names)
        return None

    def _union(
        self, branches: list[Any], ns: str, names: dict[str, dict[str, Any]]
    ) -> Converter | None:
        inner = [self._compile(b, ns, names) for b in branches if b != "null"]
        if len(inner) != 1:
            raise TypeError('only ["null", T] unions are supported')
        conv = inner[0]
        return None if conv is None else (lambda v: None if v is None else conv(v))

    def _named(
        self, schema: dict[str, Any], ns: str, names: dict[str, dict[str, Any]]
    ) -> Converter | None:
        fullname = qualify(schema["name"], str(schema.get("namespace", ns)))
        names[fullname] = schema
        if schema["type"] == "enum":
            enum_cls: type[StrEnum] = self._class(fullname)
            return enum_cls
        if schema["type"] == "fixed":
            return None
        cached = self._records.get(fullname)
        if cached is not None:
            # Still walk the fields so later references in this schema find their definitions.
            self._record(schema, fullname, names)
            return cached
        builder = self._record(schema, fullname, names)
        self._records[fullname] = builder
        return builder

    def _record(
        self, schema: dict[str, Any], fullname: str, names: dict[str, dict[str, Any]]
    ) -> Converter:
        ns = fullname.rpartition(".")[0]
        cls: type[Record] = self._class(fullname)
        steps = [(fld["name"], self._compile(fld["type"], ns, names)) for fld in schema["fields"]]
        field_set = frozenset(name for name, _ in steps)
        new = cls.__new__
        setattr_ = object.__setattr__

        def build(data: dict[str, Any]) -> Record:
            # What model_construct does for a model without private attributes or extras, minus its
            # per-call introspection; the result is checked against model_validate in the tests.
            values = {
                name: (data[name] if conv is None else conv(data[name])) for name, conv in steps
            }
            obj = new(cls)
            setattr_(obj, "__dict__", values)
            setattr_(obj, "__pydantic_fields_set__", set(field_set))
            setattr_(obj, "__pydantic_extra__", None)
            setattr_(obj, "__pydantic_private__", None)
            return obj

        return build
