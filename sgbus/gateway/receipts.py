"""Receipts of accepted events, so that a resent event gets the first answer again."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, select

from sgbus.bus.events import Event
from sgbus.bus.store.tables import gateway_receipts
from sgbus.bus.store.upsert import insert_ignore
from sgbus.producers.publisher import Receipt


def digest(event: Event) -> str:
    """A fingerprint of the event's content (its canonical JSON)."""
    return hashlib.sha256(event.model_dump_json().encode()).hexdigest()


def find(conn: Connection, event_id: str) -> tuple[str, str, Receipt] | None:
    """(party, digest, receipt) stored for ``event_id``, if any."""
    c = gateway_receipts.c
    row = conn.execute(select(gateway_receipts).where(c.event_id == event_id)).first()
    if row is None:
        return None
    return row.party, row.digest, Receipt(row.event_id, row.topic, row.partition, row.offset)


def save(conn: Connection, party: str, fingerprint: str, receipt: Receipt, at: datetime) -> None:
    """Keep the receipt of a newly accepted event."""
    insert_ignore(
        conn,
        gateway_receipts,
        [
            {
                "event_id": receipt.event_id,
                "party": party,
                "digest": fingerprint,
                "topic": receipt.topic,
                "partition": receipt.partition,
                "offset": receipt.offset,
                "accepted_at": at,
            }
        ],
    )
