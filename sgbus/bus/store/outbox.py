"""Transactional outbox: rows written with a state change, relayed to Kafka afterwards.

Event ids are deterministic (derived from what caused them), so if the relay crashes after
the broker took a message but before the row was marked sent, the resend carries the same
event id and every consumer recognises it as a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from sgbus.bus.store.bulk import insert_ignore_many
from sgbus.bus.store.tables import outbox


@dataclass(frozen=True)
class OutgoingMessage:
    """One record to publish."""

    event_id: str
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingMessage:
    """An outbox row not yet confirmed by the broker."""

    seq: int
    message: OutgoingMessage


def enqueue(conn: Connection, messages: Sequence[OutgoingMessage]) -> None:
    """Add messages to the outbox inside the caller's transaction; known event ids are skipped.

    Nothing is counted back: on PostgreSQL a RETURNING clause doubled the time of writing the
    watchdog's thousand outcome events per sweep.
    """
    now = datetime.now(UTC)
    insert_ignore_many(
        conn,
        outbox,
        [
            {
                "event_id": m.event_id,
                "topic": m.topic,
                "key": m.key,
                "value": m.value,
                "headers": json.dumps(m.headers, sort_keys=True),
                "created_at": now,
            }
            for m in messages
        ],
    )


def pending(conn: Connection, limit: int = 500) -> list[PendingMessage]:
    """The oldest unsent messages, in the order they were written (whoever holds them: the
    relay claims rows itself, see :mod:`sgbus.producers.relay`)."""
    q = select(outbox).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.seq).limit(limit)
    return to_pending(conn.execute(q))


def to_pending(rows: Iterable[Row[Any]]) -> list[PendingMessage]:
    """Outbox table rows as messages to send."""
    return [
        PendingMessage(
            r.seq,
            OutgoingMessage(r.event_id, r.topic, r.key, r.value, json.loads(r.headers)),
        )
        for r in rows
    ]


def mark_sent(conn: Connection, seqs: Sequence[int]) -> None:
    """Mark rows as confirmed by the broker."""
    if seqs:
        conn.execute(
            update(outbox).where(outbox.c.seq.in_(list(seqs))).values(sent_at=datetime.now(UTC))
        )
