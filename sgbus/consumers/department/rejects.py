"""Inbox records set aside as undecodable: their position and reason, never their bytes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select

from sgbus.bus.store.tables import rejected_items
from sgbus.bus.store.upsert import insert_ignore
from sgbus.consumers.department.intake import Undecodable

_REASON_MAX = 500


def record_rejected(
    conn: Connection, party: str, records: Sequence[Undecodable], at: datetime
) -> int:
    """Record undecodable records (once per position); return how many were new."""
    return insert_ignore(
        conn,
        rejected_items,
        [
            {
                "topic": r.at.topic,
                "partition": r.at.partition,
                "offset": r.at.offset,
                "party": party,
                "reason": r.reason[:_REASON_MAX],
                "size": r.size,
                "rejected_at": at,
            }
            for r in records
        ],
    )


def count_rejected(conn: Connection, party: str) -> int:
    """How many records of ``party``'s inbox were set aside."""
    q = select(func.count()).select_from(rejected_items).where(rejected_items.c.party == party)
    return int(conn.execute(q).scalar_one())


def find_rejected(conn: Connection, party: str, limit: int = 100) -> list[dict[str, object]]:
    """The most recent set-aside records of ``party``: position, size, reason, when."""
    q = (
        select(rejected_items)
        .where(rejected_items.c.party == party)
        .order_by(rejected_items.c.rejected_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(q)]
