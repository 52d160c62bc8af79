"""Framings, schema evolution on read, and the serde's errors."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from sgbus.bus.contracts.forms import fingerprint
from sgbus.bus.contracts.paths import schema_dir
from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events import ApprovalResult, Claim, LicenceDecisionKind
from sgbus.bus.serde import (
    DecodeError,
    EncodeError,
    build_serde,
    decode,
    encode,
    set_default_serde,
)
from tests.golden_data import golden_event

SCHEMA_SET = SchemaSet.load()


def _body(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema, named_schemas={}), record)
    return out.getvalue()


def _older_and_newer() -> tuple[dict[str, Any], dict[str, Any]]:
    older = SCHEMA_SET.expand("ApprovalResult")
    older["fields"] = [f for f in older["fields"] if f["name"] != "remarks"]
    newer = SCHEMA_SET.expand("ApprovalResult")
    newer["fields"].append({"name": "risk_level", "type": "string", "default": "low"})
    kind = next(f for f in newer["fields"] if f["name"] == "decision_kind")["type"]
    kind["symbols"] = [*kind["symbols"], "MERGE"]
    return older, newer


@pytest.fixture
def evolved_dir(tmp_path: Path) -> Path:
    target = tmp_path / "avro"
    shutil.copytree(schema_dir(), target)
    older, newer = _older_and_newer()
    for version, schema in ((7, older), (9, newer)):
        (target / "history" / "ApprovalResult" / f"v{version}.avsc").write_text(json.dumps(schema))
    return target


def test_single_object_reads_older_and_newer_writers(evolved_dir: Path) -> None:
    serde = build_serde(None, schema_set=SchemaSet.load(evolved_dir))
    older, newer = _older_and_newer()
    record = golden_event("ApprovalResult").model_dump()

    old_record = {k: v for k, v in record.items() if k != "remarks"}
    data = b"\xc3\x01" + fingerprint(older).to_bytes(8, "little") + _body(older, old_record)
    event = serde.decode(data, "t", 0, 0)
    assert isinstance(event, ApprovalResult) and event.remarks is None  # reader default

    new_record = {**record, "risk_level": "high", "decision_kind": "MERGE"}
    data = b"\xc3\x01" + fingerprint(newer).to_bytes(8, "little") + _body(newer, new_record)
    event = serde.decode(data, "t", 0, 0)
    assert isinstance(event, ApprovalResult)
    assert event.decision_kind is LicenceDecisionKind.UNKNOWN  # the enum's default
    assert event.licence_content == golden_event("ApprovalResult").licence_content


def test_confluent_reads_a_newer_writer_from_the_registry() -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://newer"})
    serde = build_serde(registry_client=client)
    _, newer = _older_and_newer()
    schema_id = client.register_schema(
        "sgbus.events.ApprovalResult", Schema(json.dumps(newer), "AVRO")
    )
    record = {
        **golden_event("ApprovalResult").model_dump(),
        "risk_level": "high",
        "decision_kind": "MERGE",
    }
    data = b"\x00" + schema_id.to_bytes(4, "big") + _body(newer, record)
    event = serde.decode(data, "sg.weihai-market.inbox", 1, 5)
    assert isinstance(event, ApprovalResult) and event.decision_kind is LicenceDecisionKind.UNKNOWN


def test_subjects_are_record_names_so_types_share_a_topic() -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://subjects"})
    serde = build_serde(registry_client=client)
    topic = "sg.weihai-approval.outbox"
    a = serde.encode(golden_event("ApprovalResult"), topic)
    c = serde.encode(golden_event("Claim"), topic)
    assert sorted(client.get_subjects()) == ["sgbus.events.ApprovalResult", "sgbus.events.Claim"]
    assert a[1:5] != c[1:5]
    consumer = build_serde(registry_client=client)  # a fresh process: fetches ids from the registry
    assert isinstance(consumer.decode(c, topic, 0, 1), Claim)
    assert consumer.decode(a, topic, 0, 0) == golden_event("ApprovalResult")


def test_losing_a_registration_race_looks_the_schema_up() -> None:
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    client = SchemaRegistryClient.new_client({"url": "mock://race"})
    winner = build_serde(registry_client=client).encode(golden_event("Claim"), "sg.a.outbox")

    class LateRegistrant:
        """Answers registration as Apicurio does when another client registered first."""

        def register_schema(self, subject: str, schema: Schema) -> int:
            raise SchemaRegistryError(409, 409, f"An artifact with ID '{subject}' already exists")

        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

    loser = build_serde(registry_client=LateRegistrant())
    assert loser.encode(golden_event("Claim"), "sg.a.outbox")[:5] == winner[:5]


def test_without_auto_register_an_unknown_subject_is_explained() -> None:
    serde = build_serde("mock://empty", auto_register=False)
    with pytest.raises(EncodeError, match="sgbus schemas register") as info:
        serde.encode(golden_event("Claim"), "sg.a.outbox")
    assert info.value.topic == "sg.a.outbox" and info.value.event_type == "Claim"


@pytest.mark.parametrize(
    ("registry", "data", "reason"),
    [
        (None, b"\x00\x00\x00\x00\x01" + b"\x00" * 20, "marker 0000, expected c301"),
        (None, b"\xc3\x01\x01\x02\x03\x04\x05\x06\x07\x08\x00", "unknown schema fingerprint"),
        (None, b"\xc3\x01", "too short"),
        ("mock://errors", b"\xc3\x01" + b"\x00" * 20, "magic byte 0xc3"),
        ("mock://errors", b"\x00\x00\x00\x03\xe7" + b"\x00" * 20, "schema id 999"),
        ("mock://errors", b"\x00\x00", "too short"),
    ],
)
def test_decode_errors_say_where_and_why(registry: str | None, data: bytes, reason: str) -> None:
    serde = build_serde(registry)
    with pytest.raises(DecodeError) as info:
        serde.decode(data, "sg.weihai-market.inbox", 2, 314)
    assert str(info.value).startswith("cannot decode sg.weihai-market.inbox[2]@314: ")
    assert reason in info.value.reason


def test_a_registered_record_that_is_no_event_is_refused() -> None:
    client = SchemaRegistryClient.new_client({"url": "mock://stranger"})
    other = {
        "type": "record",
        "name": "Stranger",
        "namespace": "x",
        "fields": [{"name": "a", "type": "int"}],
    }
    schema_id = client.register_schema("x.Stranger", Schema(json.dumps(other), "AVRO"))
    serde = build_serde(registry_client=client)
    with pytest.raises(DecodeError, match="not an event this reader knows"):
        serde.decode(b"\x00" + schema_id.to_bytes(4, "big") + b"\x02", "t", 0, 0)


def test_non_bytes_value() -> None:
    with pytest.raises(DecodeError, match="value is NoneType"):
        build_serde(None).decode(None, "t", 0, 0)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_encode_errors_never_escape_raw() -> None:
    serde = build_serde(None)
    claim = golden_event("Claim")
    wrong_type = claim.model_copy(
        update={"envelope": claim.envelope.model_copy(update={"event_type": "X"})}
    )
    with pytest.raises(EncodeError, match=r"envelope\.event_type is 'X'"):
        serde.encode(wrong_type, "t")
    # A lone surrogate passes str validation but has no UTF-8 form.
    unencodable = Claim.model_validate({**claim.model_dump(), "note": "bad \ud800"})
    with pytest.raises(EncodeError, match="cannot encode Claim for topic t: UnicodeEncodeError"):
        serde.encode(unencodable, "t")
    wrong_value = claim.model_copy(update={"claimed_by": 42})  # model_copy skips validation
    with pytest.raises(EncodeError, match="cannot encode Claim for topic t"):
        serde.encode(wrong_value, "t")
    with pytest.raises(EncodeError, match="not an event model"):
        serde.encode(claim.envelope, "t")  # type: ignore[arg-type]


def test_module_level_api_uses_the_default_serde() -> None:
    set_default_serde(build_serde(None))
    try:
        data = encode(golden_event("Escalation"), "sg.watchdog.outbox")
        assert data[:2] == b"\xc3\x01"
        assert decode(data, "sg.watchdog.outbox", 0, 0) == golden_event("Escalation")
    finally:
        set_default_serde(None)
