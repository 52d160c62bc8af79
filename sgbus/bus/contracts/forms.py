"""Normal forms of a schema: Avro's Parsing Canonical Form, its CRC-64-AVRO fingerprint, and the
"resolution form" that keeps exactly what schema resolution depends on (so a doc-only edit is not a
new version, while a new default or alias is)."""

from __future__ import annotations

import json
from typing import Any

from fastavro.schema import to_parsing_canonical_form

from sgbus.bus.contracts.schema_set import PRIMITIVES, JsonSchema, qualify

_CRC64_EMPTY = 0xC15D213AA4D7A795


def _crc64_table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_CRC64_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_TABLE = _crc64_table()


def crc64_avro(data: bytes) -> int:
    """The 64-bit Rabin fingerprint the Avro specification calls CRC-64-AVRO."""
    fp = _CRC64_EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def canonical_form(schema: JsonSchema) -> str:
    """Avro Parsing Canonical Form of a self-contained schema."""
    return str(to_parsing_canonical_form(schema))


def fingerprint(schema: JsonSchema) -> int:
    """CRC-64-AVRO fingerprint of the Parsing Canonical Form (used by single-object encoding)."""
    return crc64_avro(canonical_form(schema).encode("utf-8"))


_KEEP = (
    "type",
    "name",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "default",
    "aliases",
    "logicalType",
    "precision",
    "scale",
    "order",
)


def resolution_form(schema: JsonSchema) -> str:
    """A stable JSON text of everything schema resolution reads; docs and custom attributes drop."""
    return json.dumps(_strip(schema, ""), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _strip(schema: JsonSchema, namespace: str) -> Any:
    if isinstance(schema, str):
        return schema if schema in PRIMITIVES else qualify(schema, namespace)
    if isinstance(schema, list):
        return [_strip(s, namespace) for s in schema]
    out: dict[str, Any] = {}
    kind = schema.get("type")
    if kind in ("record", "enum", "fixed", "error"):
        namespace = qualify(schema["name"], str(schema.get("namespace", namespace))).rpartition(
            "."
        )[0]
        out["name"] = qualify(schema["name"], namespace)
    for key in _KEEP:
        if key not in schema or key == "name":
            continue
        value = schema[key]
        if key == "fields":
            value = [_strip_field(f, namespace) for f in value]
        elif key in ("items", "values") or (key == "type" and not isinstance(value, str)):
            value = _strip(value, namespace)
        out[key] = value
    return out


def _strip_field(fld: dict[str, Any], namespace: str) -> dict[str, Any]:
    out: dict[str, Any] = {k: fld[k] for k in ("name", "default", "aliases", "order") if k in fld}
    out["type"] = _strip(fld["type"], namespace)
    return out
