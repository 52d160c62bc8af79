"""Validate an event beyond its types: field checks from the schema, then record and event rules.

The fields to check come from a plan compiled once per event type (see
:mod:`sgbus.bus.validation.plan`), so an event costs only its checked fields and its rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events import Event, event_type_of
from sgbus.bus.validation.issue import Issue
from sgbus.bus.validation.plan import RecordPlan, compile_plan, run_record
from sgbus.bus.validation.rules import EVENT_RULES, RecordRule, _envelope

__all__ = ["EventValidationError", "Issue", "check_event", "validate_event"]


class EventValidationError(ValueError):
    """An event broke one or more rules; ``issues`` lists them all."""

    def __init__(self, event_type: str, issues: list[Issue]) -> None:
        self.event_type = event_type
        self.issues = issues
        lines = "\n  ".join(str(i) for i in issues)
        super().__init__(f"{event_type} is not valid ({len(issues)} problem(s)):\n  {lines}")


@lru_cache(maxsize=1)
def _schema_set() -> SchemaSet:
    return SchemaSet.load()


@cache
def _schema(event_type: str) -> dict[str, Any]:
    return _schema_set().expand(event_type)


@dataclass(frozen=True)
class _EventPlan:
    fields: RecordPlan | None
    event_rules: tuple[RecordRule, ...]


@cache
def _plan(event_type: str) -> _EventPlan:
    rules = (_envelope(event_type), EVENT_RULES.get(event_type))
    return _EventPlan(compile_plan(_schema(event_type)), tuple(r for r in rules if r is not None))


def validate_event(event: Event) -> list[Issue]:
    """Every rule ``event`` breaks (empty when valid)."""
    plan = _plan(event_type_of(event))
    data = event.model_dump()
    issues: list[Issue] = []
    if plan.fields is not None:
        run_record(plan.fields, data, "", issues)
    for rule in plan.event_rules:
        issues += [Issue(p, m) for p, m in rule(data)]
    return issues


def check_event(event: Event) -> None:
    """Raise :class:`EventValidationError` listing every broken rule, or return quietly."""
    issues = validate_event(event)
    if issues:
        raise EventValidationError(event_type_of(event), issues)
