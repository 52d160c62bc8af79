"""The JSON Schemas of the events: committed in step with the contracts, and they accept the
golden examples as JSON while refusing what the contracts refuse."""

from __future__ import annotations

import json

import jsonschema
import pytest

from sgbus.bus.contracts.json_schema import JSON_SCHEMA_DIR, PERSONAL, all_schemas, render
from sgbus.bus.events import EVENT_CLASSES
from tests.golden_data import golden_event

SCHEMAS = all_schemas()


def test_the_committed_schemas_are_the_generated_ones() -> None:
    committed = {p.name for p in JSON_SCHEMA_DIR.glob("*.schema.json")}
    assert committed == {f"{n}.schema.json" for n in EVENT_CLASSES}
    stale = [
        name
        for name, schema in SCHEMAS.items()
        if (JSON_SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8") != render(schema)
    ]
    assert stale == [], "run `sgbus schemas jsonschema`"


@pytest.mark.parametrize("name", sorted(EVENT_CLASSES))
def test_each_golden_event_is_valid_json(name: str) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMAS[name])
    data = json.loads(golden_event(name).model_dump_json())
    assert [e.message for e in validator.iter_errors(data)] == []


def test_a_missing_field_or_a_wrong_symbol_is_refused() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMAS["Claim"])
    data = json.loads(golden_event("Claim").model_dump_json())
    del data["claimed_event_id"]
    data["mode"] = "BY_PIGEON"
    messages = " ".join(e.message for e in validator.iter_errors(data))
    assert "claimed_event_id" in messages and "BY_PIGEON" in messages


def test_personal_data_is_marked() -> None:
    licensee = SCHEMAS["ApprovalResult"]["$defs"]["Licensee"]["properties"]
    assert licensee["phone"][PERSONAL] is True and licensee["id_number"][PERSONAL] is True
    assert PERSONAL not in licensee["uscc"]
    assert "联系方式" in licensee["phone"]["description"]
