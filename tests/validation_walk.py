"""The validation engine as it was before plans: every field of the schema visited for every
event. Kept as the reference the compiled plans must agree with."""

from __future__ import annotations

from typing import Any

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.contracts.walk import iter_fields
from sgbus.bus.events import Event, event_type_of
from sgbus.bus.validation.checks import CHECKS
from sgbus.bus.validation.issue import Issue, field_issue
from sgbus.bus.validation.rules import EVENT_RULES, RECORD_RULES, _envelope

_SCHEMA_SET = SchemaSet.load()
_SCHEMAS: dict[str, dict[str, Any]] = {}


def _prefixed(base: str, rel: str) -> str:
    return f"{base}.{rel}" if base else rel


def _record_type(fld: dict[str, Any]) -> str:
    ftype = fld["type"]
    if isinstance(ftype, list):
        ftype = next((t for t in ftype if t != "null"), None)
    if isinstance(ftype, dict):
        ftype = ftype["items"] if ftype.get("type") == "array" else ftype.get("name")
    return str(ftype).rsplit(".", 1)[-1] if isinstance(ftype, str) else ""


def validate_by_walk(event: Event) -> list[Issue]:
    """Every rule ``event`` breaks, found by visiting every field."""
    event_type = event_type_of(event)
    schema = _SCHEMAS.setdefault(event_type, _SCHEMA_SET.expand(event_type))
    data = event.model_dump()
    issues: list[Issue] = []
    for visit in iter_fields(schema, data):
        check = visit.field.get("check")
        if check and visit.value is not None:
            problem = CHECKS[check](visit.value, visit.field, visit.parent)
            if problem:
                issues.append(field_issue(visit.path, visit.field, visit.value, problem))
        rule = RECORD_RULES.get(_record_type(visit.field))
        if rule and isinstance(visit.value, dict):
            issues += [Issue(_prefixed(visit.path, p), m) for p, m in rule(visit.value)]
        elif rule and isinstance(visit.value, list):
            for i, item in enumerate(visit.value):
                issues += [Issue(_prefixed(f"{visit.path}[{i}]", p), m) for p, m in rule(item)]
    for rule in (_envelope(event_type), EVENT_RULES.get(event_type)):
        if rule is not None:
            issues += [Issue(p, m) for p, m in rule(data)]
    return issues
