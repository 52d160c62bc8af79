"""House rules for contract files, beyond what Avro itself requires.

- every type and field has a ``doc`` giving the Chinese term and an English explanation;
- enums carry a ``default`` so old readers survive new symbols;
- unions are ``["null", T]`` with ``default: null`` (optional fields; keeps models plain);
- defaults fit their types; ``pii`` is a boolean; ``check`` names a known check;
- events carry an integer ``version``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from sgbus.bus.contracts.schema_set import PRIMITIVES, NamedType, SchemaSet

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]{2,}")


def _doc_problem(doc: object) -> str | None:
    if not isinstance(doc, str) or not doc.strip():
        return "has no doc"
    if not _CJK.search(doc) or not _LATIN.search(doc):
        return "doc must give the Chinese term and an English explanation"
    return None


def lint_schema_set(schema_set: SchemaSet, known_checks: Collection[str]) -> list[str]:
    """Every house-rule violation, as ``file: field: problem`` lines."""
    problems: list[str] = []
    for named in schema_set.walk_types():
        problems += [f"{named.path.name}: {p}" for p in _lint_type(named, schema_set, known_checks)]
    return problems


def _lint_type(named: NamedType, schema_set: SchemaSet, known_checks: Collection[str]) -> list[str]:
    out = []
    problem = _doc_problem(named.definition.get("doc"))
    if problem:
        out.append(problem)
    if named.kind == "enum":
        symbols = named.definition.get("symbols", [])
        if named.definition.get("default") not in symbols:
            out.append("enum needs a 'default' that is one of its symbols")
    if named.name in schema_set.event_names:
        version = named.definition.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            out.append("event needs an integer 'version' >= 1")
    for fld in named.definition.get("fields", []):
        out += [
            f"field {fld.get('name')!r}: {p}" for p in _lint_field(fld, schema_set, known_checks)
        ]
    return out


def _lint_field(
    fld: dict[str, Any], schema_set: SchemaSet, known_checks: Collection[str]
) -> list[str]:
    out = []
    problem = _doc_problem(fld.get("doc"))
    if problem:
        out.append(problem)
    if "pii" in fld and not isinstance(fld["pii"], bool):
        out.append("'pii' must be true or false")
    check = fld.get("check")
    if check is not None and check not in known_checks:
        out.append(f"unknown check {check!r}")
    ftype = fld.get("type")
    if isinstance(ftype, list):
        if len(ftype) != 2 or ftype[0] != "null" or "null" in ftype[1:]:
            out.append('a union must be ["null", T] (an optional field)')
        elif fld.get("default", ...) is not None:
            out.append("an optional field needs 'default': null")
    elif "default" in fld and not _default_fits(ftype, fld["default"], schema_set):
        out.append(f"default {fld['default']!r} does not fit the type")
    return out


def _default_fits(ftype: Any, value: Any, schema_set: SchemaSet) -> bool:
    if isinstance(ftype, dict):
        kind = ftype.get("type")
        if kind == "array":
            return isinstance(value, list)
        if kind == "map":
            return isinstance(value, dict)
        ftype = kind
    if isinstance(ftype, str) and ftype not in PRIMITIVES:
        named = schema_set.get(ftype)
        if named.kind == "enum":
            return value in named.definition.get("symbols", [])
        return isinstance(value, dict)
    checks: dict[str, Any] = {
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "bytes": lambda v: isinstance(v, str),
    }
    return bool(checks.get(str(ftype), lambda v: False)(value))
