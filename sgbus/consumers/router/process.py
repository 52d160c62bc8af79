"""Routing one consumed record: decode, validate, decide, and the records to write.

Deterministic and free of Kafka I/O: the service runs it inside a transaction, tests run it
directly. Accepted events are copied byte for byte (what the sender published is what the
recipients and the audit log get); refused ones become a ``DeadLetter`` event.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sgbus.bus import headers as h
from sgbus.bus.events import (
    ApprovalResult,
    CaseAssignment,
    DeadLetter,
    Event,
    KafkaHeader,
    event_type_of,
    new_envelope,
)
from sgbus.bus.events import DeadLetterReason as DLR
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic
from sgbus.bus.serde import DecodeError, Serde
from sgbus.bus.validation import validate_event
from sgbus.consumers.router.decision import (
    Deliver,
    Directory,
    Reject,
    RejectReason,
    RoutableEvent,
    decide,
)
from sgbus.consumers.router.records import InRecord, OutRecord

ROUTER_PARTY = "router"
_OUTBOX = re.compile(r"^sg\.([a-z][a-z0-9-]{1,47})\.outbox$")
_NS = uuid.UUID("0d9b1f6c-3c1e-4f0a-8a4e-7b5f3c2d1e00")
_DLR = {
    RejectReason.UNDECODABLE: DLR.UNDECODABLE,
    RejectReason.INVALID_PAYLOAD: DLR.VALIDATION_FAILED,
    RejectReason.FORGED_SENDER: DLR.SENDER_NOT_OWNER,
    RejectReason.UNKNOWN_PARTY: DLR.UNKNOWN_PARTY,
    RejectReason.NO_RECIPIENTS: DLR.NO_RECIPIENT,
    RejectReason.NOT_AN_OUTBOX: DLR.OTHER,
}


class AssignmentDirectory(Directory, Protocol):
    """A directory that also knows who may assign unassigned cases."""

    def is_oversight(self, party: str) -> bool:
        """Whether ``party`` may assign cases from the unassigned pool."""
        ...


@dataclass(frozen=True)
class Routed:
    """The outcome of routing one record."""

    out: list[OutRecord]
    event_type: str | None = None
    sender: str | None = None
    delivered_to: tuple[str, ...] = ()
    rejected: RejectReason | None = None


def route_record(rec: InRecord, serde: Serde, directory: AssignmentDirectory) -> Routed:
    """Everything to write for one consumed record."""
    match = _OUTBOX.match(rec.topic)
    if not match:
        return _reject(
            serde, rec, RejectReason.NOT_AN_OUTBOX, f"{rec.topic} is not an outbox", None
        )
    if rec.value is None:
        return _reject(
            serde, rec, RejectReason.UNDECODABLE, "record has no value (tombstone)", None
        )
    try:
        event = serde.decode(rec.value, rec.topic, rec.partition, rec.offset)
    except DecodeError as exc:
        return _reject(serde, rec, RejectReason.UNDECODABLE, exc.reason, None)
    issues = validate_event(event)
    if issues:
        detail = "; ".join(str(i) for i in issues[:5])
        return _reject(serde, rec, RejectReason.INVALID_PAYLOAD, detail, event)
    if isinstance(event, CaseAssignment):
        return _assign(rec, match.group(1), event, serde, directory)
    decision = decide(match.group(1), routable(event), directory)
    if isinstance(decision, Reject):
        return _reject(serde, rec, decision.reason, decision.detail, event)
    return _deliver(rec, event, decision)


def routable(event: Event) -> RoutableEvent:
    """The facts :func:`decide` needs from a decoded event."""
    env = event.envelope
    return RoutableEvent(
        event_id=str(env.event_id),
        event_type=event_type_of(event),
        sender=env.sender,
        recipients=env.recipients,
        case_key=env.case_key,
        region=env.region,
        matter_code=event.matter.code if isinstance(event, ApprovalResult) else None,
    )


def _deliver(rec: InRecord, event: Event, decision: Deliver) -> Routed:
    assert rec.value is not None
    key = rec.key if rec.key is not None else event.envelope.case_key.encode()
    base = {
        **rec.headers,
        h.EVENT_ID: str(event.envelope.event_id),
        h.EVENT_TYPE: event_type_of(event),
        h.SOURCE_TOPIC: rec.topic,
    }
    out = [OutRecord(inbox_topic(p), key, rec.value, base) for p in decision.parties]
    audit = {**base, h.DELIVERED_TO: h.format_parties(decision.parties)}
    if decision.unassigned:
        audit[h.UNASSIGNED] = "1"
    out.append(OutRecord(AUDIT_TOPIC, key, rec.value, audit))
    return Routed(out, event_type_of(event), event.envelope.sender, decision.parties)


def _assign(
    rec: InRecord, source: str, event: CaseAssignment, serde: Serde, directory: AssignmentDirectory
) -> Routed:
    """Deliver the assigned original to the chosen departments; audit both records."""
    decision = decide(source, routable(event), directory)
    if isinstance(decision, Reject):
        return _reject(serde, rec, decision.reason, decision.detail, event)
    if not directory.is_oversight(source):
        return _reject(
            serde, rec, RejectReason.FORGED_SENDER, f"{source!r} is not an oversight office", event
        )
    try:
        original = serde.decode(event.original_value, rec.topic, rec.partition, rec.offset)
    except DecodeError as exc:
        return _reject(
            serde, rec, RejectReason.INVALID_PAYLOAD, f"original_value: {exc.reason}", event
        )
    if (
        not isinstance(original, ApprovalResult)
        or original.envelope.event_id != event.assigned_event_id
        or original.envelope.case_key != event.envelope.case_key
    ):
        detail = "original_value is not the approval result named by assigned_event_id"
        return _reject(serde, rec, RejectReason.INVALID_PAYLOAD, detail, event)
    assigned = InRecord(
        rec.topic,
        rec.partition,
        rec.offset,
        rec.key,
        event.original_value,
        {h.ASSIGNED_BY: str(event.envelope.event_id)},
    )
    routed = _deliver(assigned, original, Deliver(tuple(event.assigned_to)))
    own_audit = OutRecord(
        AUDIT_TOPIC,
        routed.out[0].key,
        rec.value or b"",
        {
            **rec.headers,
            h.EVENT_ID: str(event.envelope.event_id),
            h.EVENT_TYPE: "CaseAssignment",
            h.SOURCE_TOPIC: rec.topic,
            h.DELIVERED_TO: "",
        },
    )
    return Routed([*routed.out, own_audit], "CaseAssignment", source, routed.delivered_to)


def _reject(
    serde: Serde, rec: InRecord, reason: RejectReason, detail: str, event: Event | None
) -> Routed:
    """A DeadLetter event for ``rec``; its id is derived from where the record was read."""
    event_id = uuid.uuid5(_NS, f"{rec.topic}|{rec.partition}|{rec.offset}")
    env = event.envelope if event else None
    dead = DeadLetter(
        envelope=new_envelope(
            DeadLetter,
            sender=ROUTER_PARTY,
            region=env.region if env else "000000",
            case_key=env.case_key if env else (rec.key or b"").decode("utf-8", "replace"),
            event_id=event_id,
            causation_id=env.event_id if env else None,
        ),
        reason_code=_DLR[reason],
        reason=detail,
        original_topic=rec.topic,
        original_partition=rec.partition,
        original_offset=rec.offset,
        original_key=rec.key,
        original_value=rec.value,
        original_headers=[KafkaHeader(key=k, value=v.encode()) for k, v in rec.headers.items()],
        failed_at=datetime.now(UTC),
        service=ROUTER_PARTY,
    )
    headers = {
        h.EVENT_ID: str(event_id),
        h.EVENT_TYPE: "DeadLetter",
        h.DLQ_REASON: reason.value,
        h.DLQ_DETAIL: detail[:500],
        h.SOURCE_TOPIC: rec.topic,
        h.SOURCE_PARTITION: str(rec.partition),
        h.SOURCE_OFFSET: str(rec.offset),
    }
    return Routed(
        [OutRecord(DEAD_LETTER_TOPIC, rec.key, serde.encode(dead, DEAD_LETTER_TOPIC), headers)],
        rejected=reason,
    )
