"""The AsyncAPI document validates against the official AsyncAPI 3.0.0 JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sgbus.bus.events import EVENT_CLASSES
from sgbus.cli.docs import asyncapi_text

SPEC = Path(__file__).parents[1] / "data" / "asyncapi" / "asyncapi-3.0.0.schema.json"
COMMITTED = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SPEC.read_text("utf-8")))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(asyncapi_text("yaml"), Loader=yaml.CSafeLoader)
    return loaded


def test_document_is_valid_asyncapi_3(
    validator: jsonschema.Draft7Validator, document: dict[str, Any]
) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)
    ]
    assert errors == []


def test_validator_rejects_a_broken_document(
    validator: jsonschema.Draft7Validator, document: dict[str, Any]
) -> None:
    broken = json.loads(json.dumps(document))
    broken["channels"]["outbox"]["address"] = 42
    assert not validator.is_valid(broken)  # stops at the first error found
    bad_avro = json.loads(json.dumps(document))
    bad_avro["components"]["messages"]["Claim"]["payload"]["schema"]["fields"][0].pop("name")
    assert not validator.is_valid(bad_avro)


def test_json_and_yaml_say_the_same(document: dict[str, Any]) -> None:
    assert json.loads(asyncapi_text("json")) == document


def test_every_event_is_a_message_with_its_schema(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    assert sorted(messages) == sorted(EVENT_CLASSES)
    approval = messages["ApprovalResult"]
    assert approval["payload"]["schema"]["name"] == "ApprovalResult"
    assert "licensee.id_number" in approval["description"]  # personal data is called out
    assert approval["x-sgbus-subject"] == "sgbus.events.ApprovalResult"


def test_channels_follow_the_topic_design(document: dict[str, Any]) -> None:
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {"sg.{party}.outbox", "sg.{party}.inbox", "sg.audit", "sg.deadletter"}
    assert list(document["channels"]["deadletter"]["messages"]) == ["DeadLetter"]


def test_rejection_notices_reach_inboxes_only(document: dict[str, Any]) -> None:
    channels = document["channels"]
    assert "RejectionNotice" in channels["inbox"]["messages"]
    for name in ("outbox", "audit", "deadletter"):
        assert "RejectionNotice" not in channels[name]["messages"], name


def test_committed_document_is_current() -> None:
    assert COMMITTED.read_text("utf-8") == asyncapi_text("yaml"), (
        "run `sgbus docs asyncapi -o docs/asyncapi.yaml`"
    )
