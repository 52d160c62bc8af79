"""Every valid event survives model -> Avro -> model, through both framings; bad bytes never
escape as anything but DecodeError."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events import EVENT_CLASSES, Event, event_class
from sgbus.bus.serde import DecodeError, EncodeError, Serde, build_serde
from tests.golden_data import golden_event
from tests.strategies import events

SCHEMA_SET = SchemaSet.load()
EVENTS = sorted(EVENT_CLASSES)
SERDES = {
    "single-object": build_serde(None, schema_set=SCHEMA_SET),
    "confluent": build_serde("mock://roundtrip", schema_set=SCHEMA_SET),
}
HYPO = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", EVENTS)
@HYPO
@given(data=st.data())
def test_round_trip_is_identity(name: str, data: st.DataObject) -> None:
    # Each drawn event goes through both framings: drawing is the expensive part.
    event = data.draw(events(SCHEMA_SET, name))
    for serde in SERDES.values():
        encoded = serde.encode(event, "sg.test.outbox")
        decoded = serde.decode(encoded, "sg.test.outbox", 0, 7)
        assert type(decoded) is type(event)
        assert decoded == event
        assert decoded.model_dump() == event.model_dump()


@pytest.mark.parametrize("name", EVENTS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_fast_decode_equals_validated_model(name: str, data: st.DataObject) -> None:
    # The decode path skips pydantic validation; it must build exactly what validation builds.
    serde = SERDES["single-object"]
    event = data.draw(events(SCHEMA_SET, name))
    decoded = serde.decode(serde.encode(event, "t"), "t", 0, 0)
    validated = event_class(name).model_validate(decoded.model_dump())
    assert decoded == validated
    assert _types(decoded.model_dump()) == _types(validated.model_dump())
    assert decoded.model_fields_set == validated.model_fields_set
    assert decoded.model_dump_json() == validated.model_dump_json()
    assert decoded.model_copy() == decoded


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


def _corrupt(data: bytes, draw: st.DataObject) -> bytes:
    op = draw.draw(st.sampled_from(["flip", "truncate", "insert", "delete", "replace-body"]))
    i = draw.draw(st.integers(0, len(data) - 1))
    if op == "flip":
        return data[:i] + bytes([data[i] ^ draw.draw(st.integers(1, 255))]) + data[i + 1 :]
    if op == "truncate":
        return data[:i]
    if op == "insert":
        return data[:i] + draw.draw(st.binary(min_size=1, max_size=8)) + data[i:]
    if op == "delete":
        return data[:i] + data[i + draw.draw(st.integers(1, 8)) :]
    return data[:10] + draw.draw(st.binary(max_size=64))


@pytest.mark.parametrize("name", ["ApprovalResult", "Claim", "DeadLetter", "StatusReport"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corruption_is_rejected_with_decode_error(name: str, data: st.DataObject) -> None:
    event = data.draw(events(SCHEMA_SET, name))  # one event, corrupted apart in each framing
    for serde in SERDES.values():
        _check_corrupted(serde, _corrupt(serde.encode(event, "t"), data))


def _check_corrupted(serde: Serde, corrupted: bytes) -> None:
    try:
        result = serde.decode(corrupted, "sg.x.inbox", 4, 1234)
    except DecodeError as exc:
        assert (exc.topic, exc.partition, exc.offset) == ("sg.x.inbox", 4, 1234)
        assert "sg.x.inbox[4]@1234" in str(exc)
        return
    # Some corruptions still form a valid record (e.g. a changed letter); it must be a real event.
    assert isinstance(result, Event)
    with contextlib.suppress(EncodeError):
        serde.encode(result, "t")


@pytest.mark.parametrize("framing", sorted(SERDES))
@settings(max_examples=200, deadline=None)
@given(junk=st.binary(max_size=64))
def test_arbitrary_bytes_never_escape(framing: str, junk: bytes) -> None:
    try:
        result = SERDES[framing].decode(junk, "t", 0, 0)
    except DecodeError:
        return
    assert isinstance(result, Event)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_truncation_always_rejected(data: st.DataObject) -> None:
    event = data.draw(events(SCHEMA_SET, "ApprovalResult"))
    for serde in SERDES.values():
        valid = serde.encode(event, "t")
        cut = data.draw(st.integers(0, len(valid) - 1))
        with pytest.raises(DecodeError):
            serde.decode(valid[:cut], "t", 1, 2)


@pytest.mark.parametrize("framing", sorted(SERDES))
def test_trailing_bytes_rejected(framing: str) -> None:
    serde = SERDES[framing]
    valid = serde.encode(golden_event("Claim"), "t")
    with pytest.raises(DecodeError, match="bytes left after the record"):
        serde.decode(valid + b"\x00", "t", 0, 9)
