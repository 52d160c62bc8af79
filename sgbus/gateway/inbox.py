"""Pull delivery: a party's deliveries after a cursor, in audit-log order per partition.

The cursor is the last audit position seen in each partition (base64url JSON), so it is stable:
the same cursor always gives the same items, and nothing delivered later is skipped, whichever
partition it lands in.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from sgbus.bus.store.tables import deliveries


class BadCursor(ValueError):
    """The cursor was not one this gateway gave out."""


def encode_cursor(positions: dict[int, int]) -> str:
    """The cursor of per-partition positions."""
    text = json.dumps({str(p): o for p, o in sorted(positions.items())}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[int, int]:
    """Per-partition positions of a cursor (none: from the start)."""
    if not cursor:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return {int(p): int(o) for p, o in raw.items()}
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise BadCursor("after: not a cursor this gateway gave out") from None


@dataclass(frozen=True)
class Pulled:
    """One page of deliveries and the cursor after it."""

    items: list[dict[str, Any]]
    next_cursor: str


def pull(conn: Connection, party: str, after: dict[int, int], limit: int) -> Pulled:
    """Up to ``limit`` deliveries of ``party`` after the cursor positions ``after``."""
    d = deliveries.c
    beyond = [and_(d.audit_partition == p, d.audit_offset > o) for p, o in after.items()]
    unseen = d.audit_partition.not_in(list(after)) if after else d.audit_partition.is_not(None)
    q = (
        select(deliveries)
        .where(d.party == party, or_(unseen, *beyond))
        .order_by(d.audit_partition, d.audit_offset)
        .limit(limit)
    )
    rows = conn.execute(q).all()
    positions = dict(after)
    items = []
    for r in rows:
        positions[r.audit_partition] = max(positions.get(r.audit_partition, -1), r.audit_offset)
        items.append(
            {
                "event_id": r.event_id,
                "event_type": r.event_type,
                "case_key": r.case_key,
                "event": json.loads(r.payload),
            }
        )
    return Pulled(items, encode_cursor(positions))


def find_delivery(conn: Connection, party: str, event_id: str) -> tuple[str, dict[str, Any]] | None:
    """Type and JSON of event ``event_id`` as delivered to ``party`` (None if it never was)."""
    d = deliveries.c
    row = conn.execute(
        select(d.event_type, d.payload).where(d.party == party, d.event_id == event_id).limit(1)
    ).first()
    return None if row is None else (row.event_type, json.loads(row.payload))
