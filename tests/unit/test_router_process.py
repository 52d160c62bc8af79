"""Routing one record end to end without a broker: decode, validate, decide, outputs."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from cryptography.fernet import Fernet

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.deadletter_payload import PayloadPolicy, original_payload
from sgbus.bus.events import CaseAssignment, DeadLetter, DeadLetterReason, new_envelope
from sgbus.bus.serde import Serde, build_serde
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.pool import no_pool
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord
from sgbus.demo.synthetic import approval_result

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
T0 = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def result(matter: str = "WH-A1-001", sender: str = "weihai-approval", **kw: object):  # type: ignore[no-untyped-def]
    return approval_result(
        CAT.matter(matter),
        7,
        sender=sender,
        region="371000",
        decided_at=T0,
        rng=random.Random(7),
        **kw,  # type: ignore[arg-type]
    )


def record(serde: Serde, event: object, topic: str = "sg.weihai-approval.outbox") -> InRecord:
    return InRecord(topic, 0, 42, b"k", serde.encode(event, topic), {"traceparent": "00-x"})  # type: ignore[arg-type]


def test_approval_result_goes_to_supervisors_and_audit_unchanged(serde: Serde) -> None:
    rec = record(serde, result())
    routed = route_record(rec, serde, DIRECTORY)
    assert routed.rejected is None
    assert [o.topic for o in routed.out] == ["sg.weihai-drc.inbox", "sg.audit"]
    assert all(o.value == rec.value and o.key == b"k" for o in routed.out)
    audit = routed.out[-1].headers
    assert audit[h.DELIVERED_TO] == "weihai-drc" and audit["traceparent"] == "00-x"
    assert h.UNASSIGNED not in audit


def test_deliveries_keep_the_time_the_outbox_took_the_record(serde: Serde) -> None:
    rec = record(serde, result())
    stamped = InRecord(rec.topic, 0, 42, b"k", rec.value, {}, timestamp_ms=1_796_000_000_123)
    routed = route_record(stamped, serde, DIRECTORY)
    assert {o.timestamp_ms for o in routed.out} == {1_796_000_000_123}


def dead(serde: Serde, routed_out: list) -> DeadLetter:  # type: ignore[type-arg]
    out, *rest = routed_out
    assert out.topic == "sg.deadletter"
    assert [o.topic for o in rest] in ([], ["sg.weihai-approval.inbox"], ["sg.weihai-drc.inbox"])
    event = serde.decode(out.value, out.topic)
    assert isinstance(event, DeadLetter)
    assert out.headers[h.SOURCE_OFFSET] == "42"
    return event


def test_forged_sender_is_dead_lettered_with_reason(serde: Serde) -> None:
    routed = route_record(record(serde, result(), "sg.weihai-drc.outbox"), serde, DIRECTORY)
    assert routed.rejected is DeadLetterReason.SENDER_NOT_OWNER
    letter = dead(serde, routed.out)
    assert letter.original_topic == "sg.weihai-drc.outbox" and "weihai-approval" in letter.reason


def test_undecodable_bytes_are_dead_lettered(serde: Serde) -> None:
    rec = InRecord("sg.weihai-approval.outbox", 0, 42, None, b"\x00garbage", {})
    fernet = Fernet(Fernet.generate_key())
    routed = route_record(rec, serde, DIRECTORY, payload=PayloadPolicy(fernet))
    assert routed.rejected is DeadLetterReason.UNDECODABLE
    letter = dead(serde, routed.out)
    assert letter.original_value != b"\x00garbage"  # kept encrypted only
    assert original_payload(letter, fernet) == b"\x00garbage"


def test_unknown_recipient_is_dead_lettered(serde: Serde) -> None:
    routed = route_record(record(serde, result(recipients=["ghost-dept"])), serde, DIRECTORY)
    assert routed.rejected is DeadLetterReason.UNKNOWN_PARTY
    assert "ghost-dept" in dead(serde, routed.out).reason


def test_invalid_payload_is_dead_lettered_without_personal_data(serde: Serde) -> None:
    bad = result()
    bad = bad.model_copy(
        update={"licensee": bad.licensee.model_copy(update={"uscc": "91371000ABCDEFGHIJ"})}
    )
    routed = route_record(record(serde, bad), serde, DIRECTORY)
    assert routed.rejected is DeadLetterReason.VALIDATION_FAILED
    letter = dead(serde, routed.out)
    assert "licensee.uscc" in letter.reason and "91371000ABCDEFGHIJ" not in letter.reason


def test_unmapped_matter_goes_to_the_pool_and_assignment_delivers_the_original(
    serde: Serde,
) -> None:
    orphan = result()
    orphan = orphan.model_copy(
        update={"matter": orphan.matter.model_copy(update={"code": "X-404"})}
    )
    rec = record(serde, orphan)
    pool = no_pool()
    routed = route_record(rec, serde, DIRECTORY, pool=pool)
    assert [o.topic for o in routed.out] == [
        "sg.weihai-oversight.inbox",
        "sg.audit",
        "sg.router.unassigned",
    ]
    assert routed.out[1].headers[h.UNASSIGNED] == "1"

    assignment = CaseAssignment(
        envelope=new_envelope(
            CaseAssignment,
            sender="weihai-oversight",
            region="371000",
            case_key=orphan.envelope.case_key,
            recipients=["weihai-health"],
        ),
        assigned_event_id=orphan.envelope.event_id,
        assigned_event_type="ApprovalResult",
        assigned_to=["weihai-health"],
        assigned_by="值班员",
        original_value=rec.value or b"",
    )
    assigning = record(serde, assignment, "sg.weihai-oversight.outbox")
    routed = route_record(assigning, serde, DIRECTORY, pool=pool)
    assert [o.topic for o in routed.out] == ["sg.weihai-health.inbox", "sg.audit", "sg.audit"]
    assert (
        routed.out[0].value == rec.value
        and routed.out[1].headers[h.DELIVERED_TO] == "weihai-health"
    )

    forged = assignment.model_copy(
        update={"envelope": assignment.envelope.model_copy(update={"sender": "weihai-drc"})}
    )
    routed = route_record(
        record(serde, forged, "sg.weihai-drc.outbox"), serde, DIRECTORY, pool=pool
    )
    assert routed.rejected is DeadLetterReason.SENDER_NOT_OWNER

    elsewhere = assignment.model_copy(update={"assigned_to": ["weihai-nowhere"]})
    assigning = record(serde, elsewhere, "sg.weihai-oversight.outbox")
    routed = route_record(assigning, serde, DIRECTORY, pool=pool)
    assert routed.rejected is DeadLetterReason.UNKNOWN_PARTY
    assert not any(o.topic.endswith(".inbox") and "nowhere" in o.topic for o in routed.out)


def test_a_schema_id_the_registry_does_not_know_is_an_unknown_schema() -> None:
    registry_serde = build_serde("mock://router-unknown-schema")
    rec = InRecord("sg.weihai-approval.outbox", 0, 42, b"k", b"\x00\x00\x00\x03\xe7abc", {})
    routed = route_record(rec, registry_serde, DIRECTORY)
    assert routed.rejected is DeadLetterReason.UNKNOWN_SCHEMA
    assert routed.out[0].headers[h.DLQ_REASON] == "UNKNOWN_SCHEMA"
    # bad bytes are not a schema problem
    junk = InRecord("sg.weihai-approval.outbox", 0, 43, b"k", b"\x07junk", {})
    assert route_record(junk, registry_serde, DIRECTORY).rejected is DeadLetterReason.UNDECODABLE


FORGED = {
    h.UNASSIGNED: "1",
    h.DELIVERED_TO: "weihai-oversight",
    h.ASSIGNED_BY: "someone",
    h.SOURCE_TOPIC: "sg.weihai-oversight.outbox",
    "sgbus-anything-else": "x",
}


def test_bus_headers_a_sender_forged_never_reach_inbox_or_audit(serde: Serde) -> None:
    rec = record(serde, result())
    forged = InRecord(rec.topic, 0, 42, b"k", rec.value, {**rec.headers, **FORGED})
    routed = route_record(forged, serde, DIRECTORY)
    assert [o.topic for o in routed.out] == ["sg.weihai-drc.inbox", "sg.audit"]
    for out in routed.out:
        assert h.UNASSIGNED not in out.headers  # the watchdog opens the claim obligation
        assert "sgbus-anything-else" not in out.headers and h.ASSIGNED_BY not in out.headers
        assert out.headers[h.SOURCE_TOPIC] == "sg.weihai-approval.outbox"
        assert out.headers["traceparent"] == "00-x"  # the sender's own headers stay
    assert routed.out[-1].headers[h.DELIVERED_TO] == "weihai-drc"


def test_the_router_marks_the_pool_copies_itself(serde: Serde) -> None:
    unmapped = result(matter="WH-A1-001").model_copy(
        update={"matter": result().matter.model_copy(update={"code": "WH-NOT-LISTED"})}
    )
    routed = route_record(record(serde, unmapped), serde, DIRECTORY)
    assert routed.rejected is None, routed
    copies = [o for o in routed.out if o.topic != "sg.router.unassigned"]
    assert [o.topic for o in copies] == ["sg.weihai-oversight.inbox", "sg.audit"]
    assert all(o.headers[h.UNASSIGNED] == "1" for o in copies)


def test_a_replay_mark_is_the_one_bus_header_kept() -> None:
    kept = h.sender_headers({h.REPLAY_OF: "d1", h.UNASSIGNED: "1", "traceparent": "t"})
    assert kept == {h.REPLAY_OF: "d1", "traceparent": "t"}
