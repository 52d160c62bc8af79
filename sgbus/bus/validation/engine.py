"""Validate an event beyond its types: field checks from the schema, then record and event rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sgbus.bus.contracts.catalog import Catalog
from sgbus.bus.contracts.walk import iter_fields
from sgbus.bus.events import Event, event_type_of
from sgbus.bus.validation.checks import CHECKS
from sgbus.bus.validation.masking import mask
from sgbus.bus.validation.rules import EVENT_RULES, RECORD_RULES, _envelope


@dataclass(frozen=True)
class Issue:
    """One problem: the field path and what is wrong, personal data masked."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class EventValidationError(ValueError):
    """An event broke one or more rules; ``issues`` lists them all."""

    def __init__(self, event_type: str, issues: list[Issue]) -> None:
        self.event_type = event_type
        self.issues = issues
        lines = "\n  ".join(str(i) for i in issues)
        super().__init__(f"{event_type} is not valid ({len(issues)} problem(s)):\n  {lines}")


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    return Catalog.load()


@cache
def _schema(event_type: str) -> dict[str, Any]:
    return _catalog().expand(event_type)


def _field_issue(path: str, fld: dict[str, Any], value: Any, problem: str) -> Issue:
    if fld.get("pii") is True:
        return Issue(path, f"{problem} (value {mask(value)})")
    return Issue(path, problem)


def _prefixed(base: str, rel: str) -> str:
    return f"{base}.{rel}" if base else rel


def validate_event(event: Event) -> list[Issue]:
    """Every rule ``event`` breaks (empty when valid)."""
    event_type = event_type_of(event)
    data = event.model_dump()
    issues: list[Issue] = []
    for visit in iter_fields(_schema(event_type), data):
        check = visit.field.get("check")
        if check and visit.value is not None:
            problem = CHECKS[check](visit.value, visit.field, visit.parent)
            if problem:
                issues.append(_field_issue(visit.path, visit.field, visit.value, problem))
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


def _record_type(fld: dict[str, Any]) -> str:
    ftype = fld["type"]
    if isinstance(ftype, list):
        ftype = next((t for t in ftype if t != "null"), None)
    if isinstance(ftype, dict):
        ftype = ftype["items"] if ftype.get("type") == "array" else ftype.get("name")
    return str(ftype).rsplit(".", 1)[-1] if isinstance(ftype, str) else ""


def check_event(event: Event) -> None:
    """Raise :class:`EventValidationError` listing every broken rule, or return quietly."""
    issues = validate_event(event)
    if issues:
        raise EventValidationError(event_type_of(event), issues)
