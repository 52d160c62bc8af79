"""Compiled validation plans find exactly what visiting every field finds, in the same order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events import EVENT_CLASSES, ApprovalResult
from sgbus.bus.validation import validate_event
from sgbus.bus.validation.plan import ArrayPlan, RecordPlan, compile_plan
from tests.golden_data import golden_event
from tests.strategies import events
from tests.validation_walk import validate_by_walk

SCHEMA_SET = SchemaSet.load()
EVENTS = sorted(EVENT_CLASSES)
HYPO = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", EVENTS)
@HYPO
@given(data=st.data())
def test_plan_and_full_walk_agree_on_drawn_events(name: str, data: st.DataObject) -> None:
    # drawn values have the right types but ignore the business rules, so most break several
    event = data.draw(events(SCHEMA_SET, name))
    assert validate_event(event) == validate_by_walk(event)


@pytest.mark.parametrize("name", EVENTS)
def test_plan_and_full_walk_agree_on_golden_events(name: str) -> None:
    event = golden_event(name)
    assert validate_event(event) == validate_by_walk(event) == []


def test_drawn_events_do_break_rules_so_the_comparison_means_something() -> None:
    broken = 0

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(event=events(SCHEMA_SET, "ApprovalResult"))
    def count(event: Any) -> None:
        nonlocal broken
        broken += bool(validate_by_walk(event))

    count()
    assert broken > 0


def test_a_plan_keeps_only_fields_with_something_to_check() -> None:
    plan = compile_plan(SCHEMA_SET.expand("ApprovalResult"))
    assert plan is not None
    names = [s.name for s in plan.steps]
    schema_fields = [f["name"] for f in SCHEMA_SET.expand("ApprovalResult")["fields"]]
    assert set(names) < set(schema_fields)
    assert names == [n for n in schema_fields if n in names]  # schema order kept
    licensee = next(s for s in plan.steps if s.name == "licensee")
    assert licensee.rule is not None  # the Licensee record rule
    assert isinstance(licensee.below, RecordPlan)


def test_a_recursive_record_type_compiles_and_is_checked_at_every_depth() -> None:
    schema = {
        "type": "record",
        "name": "Node",
        "namespace": "t",
        "fields": [
            {"name": "code", "type": "string", "check": "nonblank"},
            {"name": "children", "type": {"type": "array", "items": "Node"}},
        ],
    }
    plan = compile_plan(schema)
    assert plan is not None
    children = plan.steps[1]
    assert isinstance(children.below, ArrayPlan) and children.below.items is plan


def test_a_schema_with_nothing_to_check_has_no_plan() -> None:
    schema = {"type": "record", "name": "Plain", "fields": [{"name": "x", "type": "string"}]}
    assert compile_plan(schema) is None


def test_invalid_golden_result_gives_the_same_issues_both_ways() -> None:
    event = golden_event("ApprovalResult")
    assert isinstance(event, ApprovalResult)
    bad_licensee = event.licensee.model_copy(update={"uscc": "91440300192203821X", "phone": "12"})
    bad = event.model_copy(update={"licensee": bad_licensee, "document_number": "x"})
    issues = validate_event(bad)
    assert issues == validate_by_walk(bad)
    assert {i.path for i in issues} >= {"licensee.uscc", "licensee.phone", "envelope.case_key"}
