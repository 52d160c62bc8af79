"""Claims on delivery (推送即认领): where the policy makes the push the claim. Pure.

Under a policy with ``claim_mode: on-delivery`` (济南 推送即认领, 晋城 "推送完成即视为接收"),
the router records, for each department it delivers an approval result to, the Claim that
department would otherwise make: mode ``ON_DELIVERY``, made at the instant the bus took the
push, with the claim id any later claim by that department has (so a manual claim afterwards
is the same claim again). The claims are written in the same transaction as the delivery:
to the approval bureau's and the department's inboxes, and to ``sg.audit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from sgbus.bus import headers as h
from sgbus.bus.claims import build_delivery_claim, child_traceparent
from sgbus.bus.events import ApprovalResult, Claim, Event, event_type_of
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic
from sgbus.bus.regions import Regions
from sgbus.bus.serde import Serde
from sgbus.consumers.router.records import InRecord, OutRecord


class ClaimModes(Protocol):
    """Which regions' policies make the push the claim."""

    def claims_on_delivery(self, region: str) -> bool:
        """Whether delivering an approval result of ``region`` to a department is its claim."""
        ...


class ExplicitClaims:
    """Every region claims explicitly: the router records no claims (the default)."""

    def claims_on_delivery(self, region: str) -> bool:
        """Never."""
        return False


class RegionClaimModes:
    """The claim mode of the policy covering each region (one policy, or a policy map's)."""

    def __init__(self, regions: Regions) -> None:
        self._regions = regions

    def claims_on_delivery(self, region: str) -> bool:
        """Whether the policy of the entry covering ``region`` has ``claim_mode: on-delivery``."""
        found = self._regions.resolve(region)
        return found is not None and found.policy.claims_on_delivery


def delivery_claims(
    event: Event, parties: Sequence[str], at_ms: int | None, modes: ClaimModes
) -> list[Claim]:
    """The claims recorded on delivering ``event`` to ``parties``: one per party for an
    approval result under an on-delivery policy, else none. ``at_ms`` is when the bus took the
    push (the event's own time when unknown)."""
    if not isinstance(event, ApprovalResult) or not parties:
        return []
    if not modes.claims_on_delivery(event.envelope.region):
        return []
    at = (
        datetime.fromtimestamp(at_ms / 1000, UTC)
        if at_ms is not None and at_ms > 0
        else event.envelope.occurred_at
    )
    return [build_delivery_claim(event, party, at) for party in parties]


def claim_records(claim: Claim, rec: InRecord, key: bytes | None, serde: Serde) -> list[OutRecord]:
    """The records of a claim on delivery: one per recipient inbox, and its audit copy."""
    claim_id = claim.envelope.event_id
    recipients = tuple(claim.envelope.recipients or ())
    headers = {
        h.EVENT_ID: str(claim_id),
        h.EVENT_TYPE: event_type_of(claim),
        h.SOURCE_TOPIC: rec.topic,
        h.TRACEPARENT: child_traceparent(rec.headers.get(h.TRACEPARENT), claim_id),
    }
    out = []
    for party in recipients:
        topic = inbox_topic(party)
        out.append(OutRecord(topic, key, serde.encode(claim, topic), headers, rec.timestamp_ms))
    audit = {**headers, h.DELIVERED_TO: h.format_parties(recipients)}
    out.append(
        OutRecord(AUDIT_TOPIC, key, serde.encode(claim, AUDIT_TOPIC), audit, rec.timestamp_ms)
    )
    return out
