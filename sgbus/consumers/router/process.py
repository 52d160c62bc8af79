"""Routing one consumed record: decode, validate, decide, and the records to write.

Deterministic and free of Kafka I/O: the service runs it inside a transaction, tests run it
directly. Accepted events are copied byte for byte (what the sender published is what the
recipients and the audit log get); refused ones become a ``DeadLetter`` event, and the party
whose outbox they came from gets a ``RejectionNotice``. A replayed dead letter is delivered
once (:mod:`sgbus.consumers.router.replays`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from sgbus.bus import headers as h
from sgbus.bus.deadletter_payload import DROP, PayloadPolicy, mark_headers
from sgbus.bus.deadletters import decode_failure_reason
from sgbus.bus.events import (
    ApprovalResult,
    CaseAssignment,
    DeadLetter,
    DeadLetterReason,
    Event,
    event_type_of,
    new_envelope,
)
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic
from sgbus.bus.serde import DecodeError, Serde
from sgbus.bus.validation import validate_event
from sgbus.consumers.router.actions import action_refusal, default_recipients
from sgbus.consumers.router.decision import (
    Deliver,
    Directory,
    Reject,
    RoutableEvent,
    decide,
)
from sgbus.consumers.router.delivery_claims import (
    ClaimModes,
    ExplicitClaims,
    claim_records,
    delivery_claims,
)
from sgbus.consumers.router.notices import field_paths, notice_record, rejection_notice
from sgbus.consumers.router.pool import PoolCheck, no_pool
from sgbus.consumers.router.records import InRecord, OutRecord
from sgbus.consumers.router.replays import ReplayCheck, no_replays, replay_of

ROUTER_PARTY = "router"
_OUTBOX = re.compile(r"^sg\.([a-z][a-z0-9-]{1,47})\.outbox$")
_NS = uuid.UUID("0d9b1f6c-3c1e-4f0a-8a4e-7b5f3c2d1e00")
_DLR = DeadLetterReason


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
    rejected: DeadLetterReason | None = None
    event_id: str | None = None
    notified: str | None = None  # the party told of the rejection
    replay_dropped: bool = False  # a replay of an event already delivered
    unassigned: bool = False  # an approval result routed to the unassigned pool
    #: Parties whose claim the router recorded on delivery (推送即认领).
    claimed_on_delivery: tuple[str, ...] = ()
    #: A rejection's dead letter, payload not sealed yet (:func:`route_record` writes it).
    dead_letter: DeadLetter | None = None
    region: str | None = None  # the event's region (for the metrics' city label)


def route_record(
    rec: InRecord,
    serde: Serde,
    directory: AssignmentDirectory,
    replays: ReplayCheck | None = None,
    pool: PoolCheck | None = None,
    payload: PayloadPolicy = DROP,
    modes: ClaimModes | None = None,
) -> Routed:
    """Everything to write for one consumed record; ``replays`` decides about replayed dead
    letters (without it every replay counts as new), ``pool`` remembers the unassigned pool
    (without it nothing was pooled before), ``payload`` how a dead letter keeps the refused
    payload (without it, not at all), ``modes`` which regions claim on delivery (without it,
    none)."""
    pool = no_pool() if pool is None else pool
    at = _Routing(serde, directory, pool, modes or ExplicitClaims())
    routed = _route(rec, at)
    if routed.dead_letter is not None:
        return _set_aside(routed, rec.key, serde, payload)
    dead_letter_id = replay_of(rec.headers)
    if dead_letter_id is not None and routed.delivered_to and routed.event_id is not None:
        routed = _once(routed, routed.event_id, dead_letter_id, replays or no_replays())
    if routed.unassigned and routed.delivered_to and routed.event_id and rec.value:
        routed = replace(routed, out=[*routed.out, pool.pooled(routed.event_id, rec.value)])
    return routed


def _once(routed: Routed, event_id: str, dead_letter_id: str, replays: ReplayCheck) -> Routed:
    """A replay is delivered once: dropped if it was before, else recorded in the ledger."""
    if replays.delivered_before(event_id):
        replays.drop(event_id, dead_letter_id)
        return replace(routed, out=[], delivered_to=(), replay_dropped=True)
    return replace(routed, out=[*routed.out, replays.deliver(event_id, dead_letter_id)])


@dataclass(frozen=True)
class _Routing:
    """What routing a record consults besides the record."""

    serde: Serde
    directory: AssignmentDirectory
    pool: PoolCheck
    modes: ClaimModes


def _route(rec: InRecord, at: _Routing) -> Routed:
    serde, directory = at.serde, at.directory
    match = _OUTBOX.match(rec.topic)
    if not match:
        return _reject(serde, rec, _DLR.OTHER, f"{rec.topic} is not an outbox", None, directory)
    if rec.value is None:
        detail = "record has no value (tombstone)"
        return _reject(serde, rec, _DLR.UNDECODABLE, detail, None, directory)
    try:
        event = serde.decode(rec.value, rec.topic, rec.partition, rec.offset)
    except DecodeError as exc:
        return _reject(serde, rec, decode_failure_reason(exc), exc.reason, None, directory)
    issues = validate_event(event)
    if issues:
        detail = "; ".join(str(i) for i in issues[:5])
        paths = field_paths(issues)
        return _reject(serde, rec, _DLR.VALIDATION_FAILED, detail, event, directory, paths)
    if isinstance(event, CaseAssignment):
        return _assign(rec, match.group(1), event, at)
    refused = action_refusal(match.group(1), event, directory)
    if refused is not None:
        reason, detail, paths = refused
        return _reject(serde, rec, reason, detail, event, directory, paths)
    decision = decide(match.group(1), routable(event, directory), directory)
    if isinstance(decision, Reject):
        return _reject(serde, rec, decision.reason, decision.detail, event, directory)
    return _deliver(rec, event, decision, at)


def routable(event: Event, directory: AssignmentDirectory | None = None) -> RoutableEvent:
    """The facts :func:`decide` needs from a decoded event (with ``directory``, where an
    officer's action without recipients goes)."""
    env = event.envelope
    return RoutableEvent(
        event_id=str(env.event_id),
        event_type=event_type_of(event),
        sender=env.sender,
        recipients=env.recipients,
        case_key=env.case_key,
        region=env.region,
        matter_code=event.matter.code if isinstance(event, ApprovalResult) else None,
        default_recipients=default_recipients(event, directory) if directory else (),
    )


def _deliver(rec: InRecord, event: Event, decision: Deliver, at: _Routing) -> Routed:
    assert rec.value is not None
    key = rec.key if rec.key is not None else event.envelope.case_key.encode()
    event_id = str(event.envelope.event_id)
    base = {
        **h.sender_headers(rec.headers),
        h.EVENT_ID: event_id,
        h.EVENT_TYPE: event_type_of(event),
        h.SOURCE_TOPIC: rec.topic,
    }
    if decision.unassigned:
        # On the pool's inbox copy too: `sgbus assign` finds pooled results there.
        base[h.UNASSIGNED] = "1"
    ts = rec.timestamp_ms
    out = [OutRecord(inbox_topic(p), key, rec.value, base, ts) for p in decision.parties]
    audit = {**base, h.DELIVERED_TO: h.format_parties(decision.parties)}
    out.append(OutRecord(AUDIT_TOPIC, key, rec.value, audit, ts))
    # After the audit copy of the push, on the same key: the watchdog reads push, then claim.
    parties = () if decision.unassigned else decision.parties
    claims = delivery_claims(event, parties, ts, at.modes)
    for claim in claims:
        out += claim_records(claim, rec, key, at.serde)
    return Routed(
        out,
        event_type_of(event),
        event.envelope.sender,
        decision.parties,
        event_id=event_id,
        unassigned=decision.unassigned and isinstance(event, ApprovalResult),
        claimed_on_delivery=tuple(c.claimed_by for c in claims),
        region=event.envelope.region,
    )


@dataclass(frozen=True)
class Refusal:
    """Why a record is dead-lettered: reason, a data-free detail, the fields concerned."""

    reason: DeadLetterReason
    detail: str
    paths: tuple[str, ...] = ()


def assignment_refusal(
    source: str, event: CaseAssignment, directory: AssignmentDirectory, pool: PoolCheck
) -> Refusal | None:
    """Why an assignment from ``source``'s outbox is not trusted, or None: only an oversight
    office assigns, only to known parties, and only a result the router put in the pool, with
    the very bytes it pooled (the ledger keeps their hash)."""
    if not directory.is_oversight(source):
        return Refusal(_DLR.SENDER_NOT_OWNER, f"{source!r} is not an oversight office")
    unknown = [p for p in event.assigned_to if p not in directory.known_parties()]
    if unknown or not event.assigned_to:
        detail = f"assigned to unknown party(ies): {', '.join(unknown) or '(none)'}"
        return Refusal(_DLR.UNKNOWN_PARTY, detail, ("assigned_to",))
    if not pool.was_pooled(str(event.assigned_event_id), event.original_value):
        detail = (
            f"approval result {event.assigned_event_id} with this original_value was never"
            " routed to the unassigned pool"
        )
        return Refusal(_DLR.VALIDATION_FAILED, detail, ("assigned_event_id", "original_value"))
    return None


def _assign(rec: InRecord, source: str, event: CaseAssignment, at: _Routing) -> Routed:
    """Deliver the assigned original to the chosen departments; audit both records."""
    serde, directory, pool = at.serde, at.directory, at.pool
    decision = decide(source, routable(event), directory)
    if isinstance(decision, Reject):
        return _reject(serde, rec, decision.reason, decision.detail, event, directory)
    refusal = assignment_refusal(source, event, directory, pool)
    if refusal is not None:
        r = refusal
        return _reject(serde, rec, r.reason, r.detail, event, directory, r.paths)
    paths = ("original_value",)
    try:
        original = serde.decode(event.original_value, rec.topic, rec.partition, rec.offset)
    except DecodeError as exc:
        detail = f"original_value: {exc.reason}"
        return _reject(serde, rec, _DLR.VALIDATION_FAILED, detail, event, directory, paths)
    if (
        not isinstance(original, ApprovalResult)
        or original.envelope.event_id != event.assigned_event_id
        or original.envelope.case_key != event.envelope.case_key
    ):
        detail = "original_value is not the approval result named by assigned_event_id"
        return _reject(serde, rec, _DLR.VALIDATION_FAILED, detail, event, directory, paths)
    assigned = InRecord(
        rec.topic,
        rec.partition,
        rec.offset,
        rec.key,
        event.original_value,
        {h.ASSIGNED_BY: str(event.envelope.event_id)},
        rec.timestamp_ms,
    )
    routed = _deliver(assigned, original, Deliver(tuple(event.assigned_to)), at)
    own_id = str(event.envelope.event_id)
    own_audit = OutRecord(
        AUDIT_TOPIC,
        routed.out[0].key,
        rec.value or b"",
        {
            **h.sender_headers(rec.headers),
            h.EVENT_ID: own_id,
            h.EVENT_TYPE: "CaseAssignment",
            h.SOURCE_TOPIC: rec.topic,
            h.DELIVERED_TO: "",
        },
        rec.timestamp_ms,
    )
    return Routed(
        [*routed.out, own_audit],
        "CaseAssignment",
        source,
        routed.delivered_to,
        event_id=own_id,
        claimed_on_delivery=routed.claimed_on_delivery,
        region=routed.region,
    )


def _reject(
    serde: Serde,
    rec: InRecord,
    reason: DeadLetterReason,
    detail: str,
    event: Event | None,
    directory: Directory,
    paths: tuple[str, ...] = (),
) -> Routed:
    """A DeadLetter event for ``rec`` (its id derived from where the record was read), and a
    RejectionNotice to the party whose outbox it came from, when that party has an inbox."""
    dead = _dead_letter(rec, reason, detail, event)
    out: list[OutRecord] = []
    sender = _outbox_owner(rec.topic, directory)
    if sender is not None:
        notice = rejection_notice(dead, sender, event, paths)
        out.append(notice_record(notice, sender, serde, rec.key))
    return Routed(
        out,
        event_type_of(event) if event else None,
        event.envelope.sender if event else None,
        rejected=reason,
        event_id=str(event.envelope.event_id) if event else None,
        notified=sender,
        dead_letter=dead,
    )


def _set_aside(routed: Routed, key: bytes | None, serde: Serde, payload: PayloadPolicy) -> Routed:
    """The dead-letter record of a rejection, first of its outputs: the payload sealed as
    ``payload`` says (encrypted or dropped), the router's own headers only."""
    dead = routed.dead_letter
    assert dead is not None
    value, found = payload.seal(dead.original_value)
    sealed = dead.model_copy(
        update={"original_value": value, "original_headers": mark_headers(found)}
    )
    headers = {
        h.EVENT_ID: str(dead.envelope.event_id),
        h.EVENT_TYPE: "DeadLetter",
        h.DLQ_REASON: dead.reason_code.value,
        h.DLQ_DETAIL: dead.reason[:500],
        h.SOURCE_TOPIC: dead.original_topic,
        h.SOURCE_PARTITION: str(dead.original_partition),
        h.SOURCE_OFFSET: str(dead.original_offset),
        **found,
    }
    record = OutRecord(DEAD_LETTER_TOPIC, key, serde.encode(sealed, DEAD_LETTER_TOPIC), headers)
    return replace(routed, out=[record, *routed.out], dead_letter=None)


def _outbox_owner(topic: str, directory: Directory) -> str | None:
    """The party that wrote ``topic``, if it is an outbox of a party with an inbox."""
    match = _OUTBOX.match(topic)
    if match is None or match.group(1) not in directory.known_parties():
        return None
    return match.group(1)


def _dead_letter(
    rec: InRecord, reason: DeadLetterReason, detail: str, event: Event | None
) -> DeadLetter:
    env = event.envelope if event else None
    return DeadLetter(
        envelope=new_envelope(
            DeadLetter,
            sender=ROUTER_PARTY,
            region=env.region if env else "000000",
            case_key=env.case_key if env else (rec.key or b"").decode("utf-8", "replace"),
            event_id=uuid.uuid5(_NS, f"{rec.topic}|{rec.partition}|{rec.offset}"),
            causation_id=env.event_id if env else None,
        ),
        reason_code=reason,
        reason=detail,
        original_topic=rec.topic,
        original_partition=rec.partition,
        original_offset=rec.offset,
        original_key=rec.key,
        original_value=rec.value,  # sealed by _set_aside before it is written
        original_headers=[],  # a sender's headers are never kept
        failed_at=datetime.now(UTC),
        service=ROUTER_PARTY,
    )
