"""A sender cannot switch off deadline tracking: bus headers it forges are dropped by the
router on the secured session stack, and the watchdog opens the claim obligation."""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import Producer

from sgbus.bus import headers as h
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic, outbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.serde import serde_for
from sgbus.consumers.watchdog.audit import RawRecord
from sgbus.consumers.watchdog.interpret import interpret
from sgbus.consumers.watchdog.wiring import RunOptions, build_ingestor
from tests.integration.bus_helpers import bus_settings, results, running_router

SENDER = "weihai-approval"


def test_forged_unassigned_header_does_not_suppress_claim(stack: Any) -> None:
    settings = bus_settings(stack)
    serde = serde_for(settings)
    [event] = results(1, seed=77, matters=["WH-A1-001"], base_serial=77_000)
    event_id = str(event.envelope.event_id)
    forged = [
        (h.EVENT_ID, event_id),
        (h.UNASSIGNED, "1"),
        (h.DELIVERED_TO, "weihai-oversight"),
        ("traceparent", "00-forged-test"),
    ]
    # The approval bureau's own system, with the credentials it was issued, as-is.
    producer = Producer(stack.credentials_of(SENDER).kafka)
    topic = outbox_topic(SENDER)
    producer.produce(
        topic, serde.encode(event, topic), event.envelope.case_key.encode(), headers=forged
    )
    assert producer.flush(30) == 0

    with running_router(settings, "header-hygiene"):
        deadline = time.monotonic() + 90
        audited: list[Any] = []
        while not audited and time.monotonic() < deadline:
            audited = [
                r
                for r in read_to_end(settings, [AUDIT_TOPIC])
                if r.headers.get(h.EVENT_ID) == event_id
            ]
            time.sleep(0.5)
    assert len(audited) == 1, "the approval result was not routed"
    copy = audited[0]
    assert h.UNASSIGNED not in copy.headers
    assert copy.headers[h.DELIVERED_TO] == "weihai-drc"
    assert copy.headers["traceparent"] == "00-forged-test"
    delivered = [
        r
        for r in read_to_end(settings, [inbox_topic("weihai-drc")])
        if r.headers.get(h.EVENT_ID) == event_id
    ]
    assert len(delivered) == 1 and h.UNASSIGNED not in delivered[0].headers

    raw = RawRecord(copy.topic, copy.partition, copy.offset, copy.value, copy.headers, copy.key)
    [meaning] = interpret([raw], serde, build_ingestor(settings, RunOptions(policy="anqiu")))
    claims = [o for o in meaning.openings if o.debtor == "weihai-drc"]
    assert claims, f"no claim obligation opened: {meaning}"


def _assignment(original: Any, value: bytes, sender: str, to: list[str]) -> Any:
    from sgbus.bus.events import CaseAssignment, new_envelope

    return CaseAssignment(
        envelope=new_envelope(
            CaseAssignment,
            sender=sender,
            region="371000",
            case_key=original.envelope.case_key,
            recipients=to,
        ),
        assigned_event_id=original.envelope.event_id,
        assigned_event_type="ApprovalResult",
        assigned_to=to,
        assigned_by="值班员",
        original_value=value,
    )


def test_forged_assignments_are_dead_lettered(stack: Any) -> None:
    from sgbus.bus.parties import DEAD_LETTER_TOPIC

    settings = bus_settings(stack)
    serde = serde_for(settings)
    # An approval result that was never in the unassigned pool, "assigned" three ways.
    [original] = results(1, seed=78, matters=["WH-A1-001"], base_serial=78_000)
    value = serde.encode(original, outbox_topic(SENDER))
    forged = {
        "weihai-drc": _assignment(original, value, "weihai-drc", ["weihai-health"]),
        "weihai-oversight": _assignment(original, value, "weihai-oversight", ["weihai-health"]),
    }
    unknown = _assignment(original, value, "weihai-oversight", ["weihai-nowhere"])
    sent = []
    for sender, event in [*forged.items(), ("weihai-oversight", unknown)]:
        producer = Producer(stack.credentials_of(sender).kafka)
        topic = outbox_topic(sender)
        producer.produce(
            topic, serde.encode(event, topic), f"forged-{event.envelope.event_id}".encode()
        )
        assert producer.flush(30) == 0
        sent.append(f"forged-{event.envelope.event_id}".encode())
    with running_router(settings, "forged-assignments"):
        deadline = time.monotonic() + 90
        reasons: dict[bytes, str] = {}
        while len(reasons) < len(sent) and time.monotonic() < deadline:
            for r in read_to_end(settings, [DEAD_LETTER_TOPIC]):
                if r.key in sent:
                    reasons[r.key] = r.headers.get(h.DLQ_REASON, "")
            time.sleep(0.5)
    assert [reasons.get(k) for k in sent] == [
        "SENDER_NOT_OWNER",
        "VALIDATION_FAILED",  # never pooled
        "UNKNOWN_PARTY",
    ]
    health = [
        r
        for r in read_to_end(settings, [inbox_topic("weihai-health")])
        if r.headers.get(h.EVENT_ID) == str(original.envelope.event_id)
    ]
    assert health == []
