"""The current event schemas, prepared once: self-contained JSON, text, parsed form, fingerprint."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastavro import parse_schema

from sgbus.bus.contracts.forms import fingerprint, resolution_form
from sgbus.bus.contracts.schema_set import SchemaSet


@dataclass(frozen=True)
class PreparedSchema:
    """One event schema ready for the wire."""

    name: str
    fullname: str
    schema: dict[str, Any]
    text: str
    parsed: Any
    fingerprint: int
    resolution: str


def prepare(schema: dict[str, Any]) -> PreparedSchema:
    """Parse and fingerprint a self-contained event schema."""
    fullname = (
        f"{schema['namespace']}.{schema['name']}" if schema.get("namespace") else schema["name"]
    )
    return PreparedSchema(
        name=str(schema["name"]),
        fullname=fullname,
        schema=schema,
        text=json.dumps(schema, ensure_ascii=False, separators=(",", ":")),
        parsed=parse_schema(schema, named_schemas={}),
        fingerprint=fingerprint(schema),
        resolution=resolution_form(schema),
    )


class CurrentSchemas:
    """The schemas this process writes with and reads into, by unqualified event name."""

    def __init__(self, schema_set: SchemaSet) -> None:
        self.schema_set = schema_set
        self.by_name = {name: prepare(schema_set.expand(name)) for name in schema_set.event_names}

    def get(self, name: str) -> PreparedSchema:
        """The prepared schema of an event, by unqualified name."""
        return self.by_name[name]
