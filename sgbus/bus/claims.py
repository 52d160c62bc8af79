"""Building claims (认领): pure functions, no database and no broker.

A claim's event id is derived from the claimed event and the claiming party, so the same item
always yields the same claim id whoever claims it (the integrated system on receipt, or a
liaison officer by hand) and however often a crash makes it be written or sent again.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sgbus.bus.events import (
    Claim,
    ClaimMode,
    ContactPerson,
    DisputeRuling,
    Event,
    event_type_of,
    reply_envelope,
)

# Fixed namespace of claim ids; changing it would give already claimed items new claim ids.
_CLAIM_NS = uuid.UUID("0b7f6c3e-8d1a-4f0e-9c57-3a2d41e5b6f8")

#: Note carried by claims the party's own system makes on receipt (mode INTEGRATED).
INTEGRATED_NOTE = "integrated: claimed on receipt by the department's own system"

#: Note carried by claims the router records on delivery (mode ON_DELIVERY).
ON_DELIVERY_NOTE = "on delivery: the policy counts the push as the claim (推送即认领)"

# Events that a recipient must claim (签收); everything else is stored for the record only.
# An item handed over (转办, a dispute ruled to another department) is claimed like the item.
CLAIMABLE = frozenset(
    {"ApprovalResult", "SupervisionAction", "VerificationTask", "ItemTransfer", "DisputeRuling"}
)


def owes_claim(event: Event, party: str) -> bool:
    """Whether ``party``, having received ``event``, owes a claim of it. A ruling is claimed
    by the department it hands the item to; the disputing department only learns of it
    (given back, it claims the original item, whose clock restarts)."""
    if isinstance(event, DisputeRuling):
        return party == event.assigned_to != event.disputed_by
    return event_type_of(event) in CLAIMABLE


_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def claim_event_id(claimed_event_id: uuid.UUID | str, party: str) -> uuid.UUID:
    """The one event id a claim of ``claimed_event_id`` by ``party`` can have."""
    return uuid.uuid5(_CLAIM_NS, f"{uuid.UUID(str(claimed_event_id))}|{party}")


def build_claim(
    cause: Event,
    party: str,
    at: datetime,
    *,
    officer: str | None = None,
    integrated: bool = False,
) -> Claim:
    """The claim by ``party`` of ``cause``, addressed to its sender.

    ``officer`` is the liaison officer's name for a manual claim; ``integrated`` marks a claim
    the party's system made on receipt.
    """
    if integrated and officer:
        raise ValueError("an integrated claim has no officer")
    event_id = claim_event_id(cause.envelope.event_id, party)
    return Claim(
        envelope=reply_envelope(
            cause,
            Claim,
            sender=party,
            recipients=[cause.envelope.sender],
            event_id=event_id,
            occurred_at=at,
        ),
        claimed_event_id=cause.envelope.event_id,
        claimed_event_type=event_type_of(cause),
        mode=ClaimMode.INTEGRATED if integrated else ClaimMode.MANUAL,
        claimed_by=party,
        officer=ContactPerson(name=officer) if officer else None,
        claimed_at=at,
        note=INTEGRATED_NOTE if integrated else None,
    )


def build_delivery_claim(cause: Event, party: str, at: datetime) -> Claim:
    """The claim of ``cause`` the router records for ``party`` as it delivers it, where the
    policy counts the push as the claim. Addressed to the sender and to ``party`` itself (its
    store learns the item is claimed); its id is the one any later claim by ``party`` has."""
    claim = build_claim(cause, party, at)
    recipients = list(dict.fromkeys([cause.envelope.sender, party]))
    envelope = claim.envelope.model_copy(update={"recipients": recipients})
    return claim.model_copy(
        update={"envelope": envelope, "mode": ClaimMode.ON_DELIVERY, "note": ON_DELIVERY_NOTE}
    )


def child_traceparent(parent: str | None, event_id: uuid.UUID) -> str:
    """A W3C ``traceparent`` for ``event_id``: in the parent's trace when there is a valid one.

    The span id comes from the event id, so a claim written twice gets the same header.
    """
    span = event_id.hex[:16]
    match = _TRACEPARENT.match(parent or "")
    if match and match.group(1) != "0" * 32:
        return f"00-{match.group(1)}-{span}-{match.group(3)}"
    return f"00-{event_id.hex}-{span}-01"
