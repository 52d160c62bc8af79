"""Personal-data fields are marked in the schemas; code can list them and redact events."""

from __future__ import annotations

import json

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.contracts.walk import field_paths
from sgbus.bus.events import EVENT_CLASSES
from sgbus.bus.validation import pii_paths, redact
from tests.golden_data import golden_event


def test_pii_paths_of_an_approval_result() -> None:
    paths = pii_paths("ApprovalResult")
    for expected in [
        "licensee.id_number",
        "licensee.phone",
        "licensee.address",
        "licensee.name",
        "licensee.legal_representative_id_number",
        "applicant.name",
        "contact.phone",
    ]:
        assert expected in paths
    assert "licensee.uscc" not in paths and "document_number" not in paths


def test_pii_paths_through_arrays() -> None:
    assert "inspectors[].name" in pii_paths("VerificationResult")
    assert "inspectors[].id_number" in pii_paths("VerificationResult")


def test_every_id_number_phone_and_address_is_marked() -> None:
    schema_set = SchemaSet.load()
    for name in EVENT_CLASSES:
        for path, fld in field_paths(schema_set.expand(name)):
            leaf = path.rsplit(".", 1)[-1]
            if leaf.endswith(("id_number", "phone", "address")) or (
                leaf == "name" and "person" in fld["doc"].lower()
            ):
                assert fld.get("pii") is True, f"{name}: {path}"


def test_redact_masks_every_pii_value_and_keeps_the_rest() -> None:
    event = golden_event("VerificationResult")
    redacted = redact(event)
    text = json.dumps(redacted, ensure_ascii=False)
    for person in event.inspectors:
        assert person.name not in text
        assert person.id_number is not None and person.id_number not in text
    assert redacted["findings"] == event.findings
    assert redacted["inspectors"][0]["name"] == "赵*军"
    assert redacted["envelope"]["case_key"] == event.envelope.case_key


def test_redact_does_not_touch_the_event() -> None:
    event = golden_event("ApprovalResult")
    before = event.model_dump()
    redact(event)
    assert event.model_dump() == before
