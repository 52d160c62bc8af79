"""A party's received items in SQL: idempotent storage and claim bookkeeping.

How an item was claimed is stored as the contract's :class:`~sgbus.bus.events.ClaimMode`
symbol (``MANUAL``, ``INTEGRATED``, ``AUTOMATIC``), the same word a Claim event carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, bindparam, select, update

from sgbus.bus.events import ClaimMode
from sgbus.bus.store.bulk import insert_ignore_many
from sgbus.bus.store.tables import inbox_items


class ClaimState(StrEnum):
    """Where an item stands."""

    PENDING = "pending"
    CLAIMED = "claimed"
    INFO = "info"  # not something to claim


@dataclass(frozen=True)
class InboxItem:
    """One event as received from a party's inbox topic."""

    event_id: str
    event_type: str
    case_key: str
    sender: str
    occurred_at: datetime
    received_at: datetime
    source_topic: str
    source_partition: int
    source_offset: int
    value: bytes
    claimable: bool
    """Whether the recipient owes a claim of it (:func:`sgbus.bus.claims.owes_claim`)."""


def store_items(conn: Connection, party: str, items: Sequence[InboxItem]) -> list[InboxItem]:
    """Store ``items`` not seen before (by event id); return those that were new."""
    if not items:
        return []
    ids = [i.event_id for i in items]
    known = set(
        conn.execute(
            select(inbox_items.c.event_id).where(inbox_items.c.event_id.in_(ids))
        ).scalars()
    )
    fresh: dict[str, InboxItem] = {}
    for item in items:
        if item.event_id not in known:
            fresh.setdefault(item.event_id, item)
    insert_ignore_many(conn, inbox_items, [_row(party, i) for i in fresh.values()])
    return list(fresh.values())


def _row(party: str, i: InboxItem) -> dict[str, object]:
    return {
        "event_id": i.event_id,
        "party": party,
        "event_type": i.event_type,
        "case_key": i.case_key,
        "sender": i.sender,
        "occurred_at": i.occurred_at,
        "received_at": i.received_at,
        "source_topic": i.source_topic,
        "source_partition": i.source_partition,
        "source_offset": i.source_offset,
        "value": i.value,
        "claim_state": ClaimState.PENDING if i.claimable else ClaimState.INFO,
    }


def mark_claimed(
    conn: Connection,
    event_id: str,
    mode: ClaimMode,
    by: str,
    at: datetime,
    claim_event_id: str | None,
) -> bool:
    """Record a claim on a pending item; False if it was not pending (already claimed)."""
    result = conn.execute(
        update(inbox_items)
        .where(inbox_items.c.event_id == event_id)
        .where(inbox_items.c.claim_state == ClaimState.PENDING)
        .values(
            claim_state=ClaimState.CLAIMED,
            claimed_at=at,
            claim_mode=mode.value,
            claimed_by=by,
            claim_event_id=claim_event_id,
        )
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class ClaimMark:
    """One claim to record on a pending item."""

    event_id: str
    mode: ClaimMode
    by: str
    at: datetime
    claim_event_id: str | None


def mark_claimed_many(conn: Connection, marks: Sequence[ClaimMark]) -> None:
    """Record many claims in one statement (items no longer pending are left as they are).

    The service claims a whole batch on receipt; one executemany instead of an UPDATE per item
    keeps auto-claiming from halving its throughput.
    """
    if not marks:
        return
    stmt = (
        update(inbox_items)
        .where(inbox_items.c.event_id == bindparam("m_id"))
        .where(inbox_items.c.claim_state == ClaimState.PENDING)
        .values(
            claim_state=ClaimState.CLAIMED,
            claimed_at=bindparam("m_at"),
            claim_mode=bindparam("m_mode"),
            claimed_by=bindparam("m_by"),
            claim_event_id=bindparam("m_claim"),
        )
    )
    conn.execute(
        stmt,
        [
            {
                "m_id": m.event_id,
                "m_at": m.at,
                "m_mode": m.mode.value,
                "m_by": m.by,
                "m_claim": m.claim_event_id,
            }
            for m in marks
        ],
    )


def find_items(
    conn: Connection,
    party: str,
    *,
    case_key: str | None = None,
    pending_only: bool = False,
    limit: int | None = None,
) -> list[dict[str, object]]:
    """Items of ``party`` (newest first), optionally of one case or still pending a claim."""
    cols = [c for c in inbox_items.c if c.name != "value"]
    q = select(*cols).where(inbox_items.c.party == party)
    if case_key is not None:
        q = q.where(inbox_items.c.case_key == case_key)
    if pending_only:
        q = q.where(inbox_items.c.claim_state == ClaimState.PENDING)
    q = q.order_by(inbox_items.c.received_at.desc(), inbox_items.c.event_id)
    if limit:
        q = q.limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]


def item_value(conn: Connection, event_id: str) -> bytes | None:
    """The exact bytes received for an item, kept as evidence."""
    return conn.execute(
        select(inbox_items.c.value).where(inbox_items.c.event_id == event_id)
    ).scalar_one_or_none()
