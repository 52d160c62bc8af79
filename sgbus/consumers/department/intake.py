"""What a department service does with a batch of inbox records: pure decisions, no I/O.

The service decodes records, hands them here, and executes the result in one database
transaction: items to store, claims to write to the outbox, watchdog auto-claims to record,
records to set aside as undecodable.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sgbus.bus import headers as h
from sgbus.bus.claims import build_claim, child_traceparent, owes_claim
from sgbus.bus.events import AutoClaim, Claim, ClaimMode, Event, event_type_of
from sgbus.bus.store.outbox import OutgoingMessage
from sgbus.consumers.department.store import InboxItem


@dataclass(frozen=True)
class Position:
    """Where a record was read; identifies it without its content."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Received:
    """A record decoded into an event."""

    at: Position
    event: Event
    value: bytes
    traceparent: str | None = None


@dataclass(frozen=True)
class Undecodable:
    """A record the serde refused, with the serde's data-free reason."""

    at: Position
    reason: str
    size: int


@dataclass(frozen=True)
class AutoClaimNotice:
    """The watchdog claimed one of our items at expiry (安丘 第十八条(一))."""

    item_event_id: str
    auto_claim_event_id: str
    at: datetime


@dataclass
class Batch:
    """One consumed batch, sorted into what the transaction must do."""

    received: list[Received] = field(default_factory=list)
    undecodable: list[Undecodable] = field(default_factory=list)

    def positions(self) -> list[tuple[str, int, int]]:
        """(topic, partition, offset) of every record, decoded or not."""
        out = [(r.at.topic, r.at.partition, r.at.offset) for r in self.received]
        return out + [(u.at.topic, u.at.partition, u.at.offset) for u in self.undecodable]


def to_item(r: Received, received_at: datetime, party: str) -> InboxItem:
    """The store row of an event ``party`` received."""
    env = r.event.envelope
    return InboxItem(
        event_id=str(env.event_id),
        event_type=event_type_of(r.event),
        case_key=env.case_key,
        sender=env.sender,
        occurred_at=env.occurred_at,
        received_at=received_at,
        source_topic=r.at.topic,
        source_partition=r.at.partition,
        source_offset=r.at.offset,
        value=r.value,
        claimable=owes_claim(r.event, party),
    )


def auto_claim_notice(event: Event, party: str) -> AutoClaimNotice | None:
    """The item an AutoClaim claims for ``party``; None for any other event or party."""
    if not isinstance(event, AutoClaim) or event.claimed_on_behalf_of != party:
        return None
    return AutoClaimNotice(
        item_event_id=str(event.obligation.trigger_event_id),
        auto_claim_event_id=str(event.envelope.event_id),
        at=event.claimed_at,
    )


def delivery_claim(event: Event, party: str) -> Claim | None:
    """``event`` if it is the claim the router recorded for ``party`` on delivering an item
    (推送即认领, mode ON_DELIVERY); None for anything else."""
    if (
        isinstance(event, Claim)
        and event.mode is ClaimMode.ON_DELIVERY
        and event.claimed_by == party
    ):
        return event
    return None


def integrated_claims(
    new_items: Sequence[InboxItem],
    received: Mapping[str, Received],
    party: str,
    at: datetime,
) -> list[tuple[Claim, Received]]:
    """The claim an integrated system makes of each new claimable item, with its cause."""
    out = []
    for item in new_items:
        if item.claimable:
            cause = received[item.event_id]
            out.append((build_claim(cause.event, party, at, integrated=True), cause))
    return out


def claim_message(
    claim: Claim, value: bytes, topic: str, parent_traceparent: str | None = None
) -> OutgoingMessage:
    """The outbox row of an encoded claim: keyed by case, ids in headers."""
    env = claim.envelope
    event_id = uuid.UUID(str(env.event_id))
    return OutgoingMessage(
        event_id=str(event_id),
        topic=topic,
        key=env.case_key.encode("utf-8"),
        value=value,
        headers={
            h.EVENT_ID: str(event_id),
            h.EVENT_TYPE: env.event_type,
            h.TRACEPARENT: child_traceparent(parent_traceparent, event_id),
        },
    )
