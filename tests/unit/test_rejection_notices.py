"""Rejection notices: the sender of a refused record learns what, why and where, and no more."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import ApprovalResult, DeadLetter, DeadLetterReason, RejectionNotice
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.validation import Issue, validate_event
from sgbus.consumers.department.intake import Position, Received, to_item
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.notices import field_paths
from sgbus.consumers.router.process import Routed, route_record
from sgbus.consumers.router.records import InRecord
from sgbus.demo.synthetic import approval_result

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
T0 = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
OUTBOX = "sg.weihai-approval.outbox"


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def result(**envelope: object) -> ApprovalResult:
    event = approval_result(
        CAT.matter("WH-A1-001"),
        7,
        sender="weihai-approval",
        region="371000",
        decided_at=T0,
        rng=random.Random(7),
    )
    return event.model_copy(update={"envelope": event.envelope.model_copy(update=envelope)})


def invalid(event: ApprovalResult) -> ApprovalResult:
    """Two broken fields: a credit code with a wrong check character, a malformed phone."""
    licensee = event.licensee.model_copy(
        update={"uscc": "91371000ABCDEFGHIJ", "phone": "1380013800x"}
    )
    return event.model_copy(update={"licensee": licensee})


def route(serde: Serde, value: bytes, topic: str = OUTBOX) -> Routed:
    return route_record(InRecord(topic, 2, 42, b"k", value, {}), serde, DIRECTORY)


def notice_of(serde: Serde, routed: Routed) -> tuple[DeadLetter, RejectionNotice, bytes]:
    letter_rec, notice_rec = routed.out
    letter = serde.decode(letter_rec.value, letter_rec.topic)
    notice = serde.decode(notice_rec.value, notice_rec.topic)
    assert isinstance(letter, DeadLetter) and isinstance(notice, RejectionNotice)
    assert notice_rec.headers[h.EVENT_ID] == str(notice.envelope.event_id)
    assert notice_rec.headers[h.EVENT_TYPE] == "RejectionNotice"
    return letter, notice, notice_rec.value


def test_invalid_payload_tells_the_sender_the_event_reason_and_field_paths(serde: Serde) -> None:
    bad = invalid(result())
    routed = route(serde, serde.encode(bad, OUTBOX))
    assert [o.topic for o in routed.out] == ["sg.deadletter", "sg.weihai-approval.inbox"]
    assert routed.notified == "weihai-approval"
    letter, notice, _ = notice_of(serde, routed)
    assert notice.envelope.recipients == ["weihai-approval"]
    assert notice.envelope.sender == "router"
    assert notice.refused_event_id == bad.envelope.event_id
    assert notice.refused_event_type == "ApprovalResult"
    assert notice.dead_letter_id == letter.envelope.event_id
    assert notice.reason_code is DeadLetterReason.VALIDATION_FAILED
    assert notice.field_paths == ["licensee.uscc", "licensee.phone"]
    assert notice.reason == letter.reason
    assert (notice.original_topic, notice.original_partition, notice.original_offset) == (
        OUTBOX,
        2,
        42,
    )
    # The notice answers the refused event, in its case and conversation.
    assert notice.envelope.case_key == bad.envelope.case_key
    assert notice.envelope.causation_id == bad.envelope.event_id
    assert notice.envelope.correlation_id == bad.envelope.correlation_id
    assert [str(i) for i in validate_event(notice)] == []


def test_a_notice_carries_no_payload_and_no_personal_data(serde: Serde) -> None:
    bad = invalid(result())
    _, _, value = notice_of(serde, route(serde, serde.encode(bad, OUTBOX)))
    lic = bad.licensee
    secrets = [lic.name, lic.id_number, lic.phone, lic.address, lic.legal_representative]
    for secret in (s for s in secrets if s):
        assert secret.encode() not in value, secret
    assert not any(
        f.annotation in (bytes, bytes | None) for f in RejectionNotice.model_fields.values()
    )


def test_undecodable_record_is_noticed_without_an_event_id(serde: Serde) -> None:
    routed = route(serde, b"\x00garbage")
    letter, notice, _ = notice_of(serde, routed)
    assert notice.refused_event_id is None and notice.refused_event_type is None
    assert notice.reason_code is DeadLetterReason.UNDECODABLE
    assert notice.field_paths == []
    assert notice.envelope.causation_id == letter.envelope.event_id


def test_forged_sender_notice_goes_to_the_owner_of_the_outbox(serde: Serde) -> None:
    topic = "sg.weihai-drc.outbox"
    routed = route(serde, serde.encode(result(), topic), topic)
    assert [o.topic for o in routed.out] == ["sg.deadletter", "sg.weihai-drc.inbox"]
    _, notice, _ = notice_of(serde, routed)
    assert notice.reason_code is DeadLetterReason.SENDER_NOT_OWNER


def test_no_notice_without_an_inbox_to_send_it_to(serde: Serde) -> None:
    value = serde.encode(result(), OUTBOX)
    for topic in ("sg.audit", "sg.ghost-party.outbox"):
        routed = route(serde, value, topic)
        assert [o.topic for o in routed.out] == ["sg.deadletter"], topic
        assert routed.notified is None


def test_routing_a_record_again_gives_the_same_notice_id(serde: Serde) -> None:
    value = serde.encode(invalid(result()), OUTBOX)
    first, second = (notice_of(serde, route(serde, value))[1] for _ in range(2))
    assert first.envelope.event_id == second.envelope.event_id  # the inbox stores it once


def test_delivered_events_bring_no_notice(serde: Serde) -> None:
    routed = route(serde, serde.encode(result(), OUTBOX))
    assert routed.rejected is None and routed.notified is None
    assert "sg.weihai-approval.inbox" not in [o.topic for o in routed.out]


def test_field_paths_are_unique_and_in_order() -> None:
    issues = [Issue("b.c", "x"), Issue("a", "y"), Issue("b.c", "z"), Issue("", "rule")]
    assert field_paths(issues) == ("b.c", "a")


def test_a_department_stores_a_notice_as_information_not_to_claim(serde: Serde) -> None:
    routed = route(serde, serde.encode(invalid(result()), OUTBOX))
    _, notice, value = notice_of(serde, routed)
    received = Received(Position("sg.weihai-approval.inbox", 0, 0), notice, value)
    assert not to_item(received, T0, "weihai-approval").claimable
