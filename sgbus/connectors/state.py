"""A connector's own SQL state: source positions, and the records it dead-lettered.

Positions are written only after the broker has the events they follow, so a restart resumes
at the first record not yet published. Dead-lettered inbox records are kept by position only
(the payload stays in the inbox topic, where the party may read it) so that
``sgbus connector replay`` can offer them to the target again once it is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from sgbus.bus.store import tables as t
from sgbus.bus.store.upsert import insert_ignore, upsert
from sgbus.connectors.api import Position


@dataclass(frozen=True)
class Errant:
    """One dead-lettered record as the connector remembers it."""

    dead_letter_id: str
    topic: str
    partition: int
    offset: int
    event_id: str | None
    reason_code: str
    reason: str
    reported_at: datetime


class ConnectorState:
    """The state of connector instance ``name`` in ``engine`` (a migrated sgbus store)."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name

    def positions(self) -> dict[str, Position]:
        """Stream → last stored position."""
        query = select(t.connector_positions.c.stream, t.connector_positions.c.position).where(
            t.connector_positions.c.connector == self.name
        )
        with self.engine.connect() as conn:
            return {row.stream: json.loads(row.position) for row in conn.execute(query)}

    def save_positions(self, positions: Mapping[str, Position], now: datetime) -> None:
        """Store each stream's new position in one transaction."""
        rows = [
            {
                "connector": self.name,
                "stream": stream,
                "position": json.dumps(pos, sort_keys=True),
                "updated_at": now,
            }
            for stream, pos in positions.items()
        ]
        with self.engine.begin() as conn:
            upsert(conn, t.connector_positions, rows, keys=("connector", "stream"))

    def record_errants(self, errants: Sequence[Errant]) -> None:
        """Remember dead-lettered records; one reported twice (after a retry) is kept once."""
        rows = [{"connector": self.name, "replayed_at": None, **e.__dict__} for e in errants]
        with self.engine.begin() as conn:
            insert_ignore(conn, t.connector_errants, rows)

    def errants(self, *, include_replayed: bool = False) -> list[Errant]:
        """Dead-lettered records in the order they were read, not yet replayed by default."""
        c = t.connector_errants.c
        query = select(t.connector_errants).where(c.connector == self.name)
        if not include_replayed:
            query = query.where(c.replayed_at.is_(None))
        query = query.order_by(c.topic, c.partition, c.offset)
        with self.engine.connect() as conn:
            return [
                Errant(
                    r.dead_letter_id,
                    r.topic,
                    r.partition,
                    r.offset,
                    r.event_id,
                    r.reason_code,
                    r.reason,
                    r.reported_at,
                )
                for r in conn.execute(query)
            ]

    def mark_replayed(self, ids: Iterable[str], now: datetime) -> None:
        """Note that these dead letters were delivered to the target again."""
        ids = list(ids)
        if not ids:
            return
        c = t.connector_errants.c
        with self.engine.begin() as conn:
            conn.execute(
                update(t.connector_errants)
                .where(c.connector == self.name, c.dead_letter_id.in_(ids))
                .values(replayed_at=now)
            )
