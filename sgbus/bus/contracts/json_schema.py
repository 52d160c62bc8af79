"""JSON Schema (draft 2020-12) of every event, for systems that speak JSON, not Avro.

Generated from the event models, which are themselves generated from the Avro contracts, so the
three cannot drift (a test compares the committed files with this output). Descriptions keep the
contracts' Chinese labels; a field marked ``"pii": true`` in Avro carries
``"x-sgbus-personal-data": true``. In JSON, instants are RFC 3339 strings (UTC), dates
``YYYY-MM-DD``, ids UUID strings, bytes base64.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events import EVENT_CLASSES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Where the committed schemas live (a source checkout's docs/).
JSON_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "jsonschema"
PERSONAL = "x-sgbus-personal-data"


def event_schema(name: str, schema_set: SchemaSet) -> dict[str, Any]:
    """The JSON Schema of event ``name``."""
    cls = EVENT_CLASSES[name]
    schema: dict[str, Any] = cls.model_json_schema(mode="validation")
    version = schema_set.version(name)
    schema = {
        "$schema": DIALECT,
        "$id": f"urn:sgbus:event:{name}:v{version}",
        **schema,
        "x-sgbus-schema-version": version,
    }
    _mark(schema, name, schema_set)
    for record, definition in schema.get("$defs", {}).items():
        _mark(definition, record, schema_set)
    return schema


def _mark(definition: dict[str, Any], record: str, schema_set: SchemaSet) -> None:
    """Mark the personal-data properties of one record's definition."""
    try:
        fields = schema_set.get(record).definition.get("fields", [])
    except KeyError:
        return  # an enum, or a record of the envelope's own
    properties = definition.get("properties", {})
    for field in fields:
        if field.get("pii") is True and field["name"] in properties:
            properties[field["name"]][PERSONAL] = True


def all_schemas(schema_set: SchemaSet | None = None) -> dict[str, dict[str, Any]]:
    """Every event's schema by event type."""
    schemas = schema_set or SchemaSet.load()
    return {name: event_schema(name, schemas) for name in sorted(EVENT_CLASSES)}


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: sorted keys, Chinese kept readable."""
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_all(folder: Path) -> list[Path]:
    """Write ``<Event>.schema.json`` for every event into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = folder / f"{name}.schema.json"
        text = render(schema)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
