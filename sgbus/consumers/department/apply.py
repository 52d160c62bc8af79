"""One batch of a party's inbox, applied in one database transaction.

The new items (deduplicated by event id), the claims an integrated system makes on receipt
(into the outbox table), the watchdog's auto-claims, the undecodable records set aside, and
the next offsets: all or nothing, so a crash or an outage resumes from the last commit with
no item lost or stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection

from sgbus.bus.events import Claim, ClaimMode
from sgbus.bus.parties import WATCHDOG_PARTY
from sgbus.bus.serde import Serde
from sgbus.bus.store.offsets import next_offsets_of, save_offsets
from sgbus.bus.store.outbox import enqueue
from sgbus.consumers.department.intake import (
    Batch,
    Received,
    auto_claim_notice,
    claim_message,
    delivery_claim,
    integrated_claims,
    to_item,
)
from sgbus.consumers.department.rejects import record_rejected
from sgbus.consumers.department.store import (
    ClaimMark,
    InboxItem,
    mark_claimed,
    mark_claimed_many,
    store_items,
)

log = structlog.get_logger("sgbus.consumers.department.apply")


@dataclass(frozen=True)
class Department:
    """Who applies the batch: the party, its consumer group and outbox, its claim policy."""

    party: str
    group: str
    outbox: str
    serde: Serde
    claim_on_receipt: bool


@dataclass(frozen=True)
class Applied:
    """What a committed batch changed."""

    new: list[InboxItem]
    claims: list[Claim]
    auto_claimed: int
    claimed_on_delivery: int = 0


def apply_batch(conn: Connection, dept: Department, batch: Batch, now: datetime) -> Applied:
    """Store the batch's new items, claim them on receipt if the party does, record the
    watchdog's auto-claims and the undecodable records, and save the next offsets."""
    by_id = {str(r.event.envelope.event_id): r for r in batch.received}
    new = store_items(conn, dept.party, [to_item(r, now, dept.party) for r in batch.received])
    pushed = record_delivery_claims(conn, dept.party, new, by_id)
    # An item the router claimed on delivery in this batch needs no claim of our own.
    unclaimed = [item for item in new if item.event_id not in pushed]
    claims = claim_on_receipt(conn, dept, unclaimed, by_id, now) if dept.claim_on_receipt else []
    auto = record_auto_claims(conn, dept.party, new, by_id)
    record_rejected(conn, dept.party, batch.undecodable, now)
    save_offsets(conn, dept.group, next_offsets_of(batch.positions()))
    return Applied(new, claims, auto, len(pushed))


def record_delivery_claims(
    conn: Connection, party: str, new: list[InboxItem], by_id: dict[str, Received]
) -> set[str]:
    """Record the claims the router made for the party on delivery (推送即认领); return the
    ids of the items they claimed."""
    claimed: set[str] = set()
    for item in new:
        claim = delivery_claim(by_id[item.event_id].event, party)
        if claim is None:
            continue
        item_id = str(claim.claimed_event_id)
        if mark_claimed(
            conn,
            item_id,
            ClaimMode.ON_DELIVERY,
            party,
            claim.claimed_at,
            str(claim.envelope.event_id),
        ):
            claimed.add(item_id)
        else:
            log.info("claim on delivery for an item not pending here", item=item_id)
    return claimed


def claim_on_receipt(
    conn: Connection,
    dept: Department,
    new: list[InboxItem],
    by_id: dict[str, Received],
    now: datetime,
) -> list[Claim]:
    """Claim every new claimable item as the party's integrated system; the claims go to the
    outbox table."""
    planned = integrated_claims(new, by_id, dept.party, now)
    enqueue(
        conn,
        [
            claim_message(c, dept.serde.encode(c, dept.outbox), dept.outbox, r.traceparent)
            for c, r in planned
        ],
    )
    mark_claimed_many(
        conn,
        [
            ClaimMark(
                str(c.claimed_event_id),
                ClaimMode.INTEGRATED,
                dept.party,
                now,
                str(c.envelope.event_id),
            )
            for c, _ in planned
        ],
    )
    return [c for c, _ in planned]


def record_auto_claims(
    conn: Connection, party: str, new: list[InboxItem], by_id: dict[str, Received]
) -> int:
    """Record the watchdog's claims at expiry made on the party's behalf; return how many
    items they claimed."""
    applied = 0
    for item in new:
        notice = auto_claim_notice(by_id[item.event_id].event, party)
        if notice is None:
            continue
        if mark_claimed(
            conn,
            notice.item_event_id,
            ClaimMode.AUTOMATIC,
            WATCHDOG_PARTY,
            notice.at,
            notice.auto_claim_event_id,
        ):
            applied += 1
        else:
            log.info("auto-claim for an item not pending here", item=notice.item_event_id)
    return applied
