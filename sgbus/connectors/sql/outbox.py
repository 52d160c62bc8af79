"""``sql-outbox``: publish what the department's system inserts into ``sgbus_outbox``.

Each pending row becomes the event its ``payload`` describes (the published JSON Schema's
shape). To spare hand-written SQL, the envelope may leave out what the row says already:
``event_type`` (the column), ``event_id`` (the column, else derived from the table and row id,
so that a re-send is recognisably the same event), ``sender`` (the connector's party),
``occurred_at`` (the row's ``created_at``), ``correlation_id`` (the event id: a new
conversation) and ``schema_version`` (the current one). A row that is not such an event, or
that the bus refuses, is marked ``rejected`` with the reason, and dead-lettered; a published
one ``sent`` with its receipt.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from sgbus.bus.events import EVENT_CLASSES
from sgbus.bus.validation.json_input import InvalidEventJson, event_from_json
from sgbus.connectors.api import ConnectorContext, Source, SourceRecord
from sgbus.connectors.sql.config import SqlConfig
from sgbus.connectors.sql.db import DepartmentDb, OnTable
from sgbus.connectors.sql.tables import OUTBOX, outbox_table
from sgbus.producers.publisher import Receipt

_NS = uuid.UUID("4d1c1c55-0f0e-4f58-a3c8-7d5f3d2c9b10")


class SqlOutboxSource(OnTable, Source[SqlConfig]):
    """Polls ``sgbus_outbox`` for pending rows, oldest first."""

    def __init__(self, config: SqlConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.table = outbox_table(config.table or OUTBOX)
        self.db = DepartmentDb(config.url.get_secret_value(), self.table, config.create_table)

    def poll(self, max_records: int) -> Sequence[SourceRecord]:
        """The next pending rows as events; rows that are not events are refused here."""
        c = self.table.c
        query = (
            select(c.id, c.event_type, c.payload, c.event_id, c.created_at)
            .where(c.status == "pending")
            .order_by(c.id)
            .limit(max_records)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).all()
        records, unreadable = [], []
        for row in rows:
            ref = f"{self.table.name} row {row.id}"
            try:
                event = event_from_json(self._data(row))
            except (InvalidEventJson, ValueError) as exc:
                unreadable.append((row.id, ref, str(exc)))
                continue
            records.append(SourceRecord(event, self.table.name, row.id, ref))
        self._refuse_unreadable(unreadable)
        return records

    def committed(self, records: Sequence[SourceRecord], receipts: Sequence[Receipt]) -> None:
        """Mark the rows sent, with where the broker stored each."""
        now = datetime.now(UTC)
        with self.db.engine.begin() as conn:
            for record, receipt in zip(records, receipts, strict=True):
                conn.execute(
                    update(self.table)
                    .where(self.table.c.id == record.position)
                    .values(
                        status="sent",
                        event_id=receipt.event_id,
                        kafka_topic=receipt.topic,
                        kafka_partition=receipt.partition,
                        kafka_offset=receipt.offset,
                        sent_at=now,
                        reason=None,
                    )
                )

    def rejected(self, record: SourceRecord, reason: str) -> None:
        """Mark the row rejected with the reason (readable from SQL)."""
        self._mark_rejected([(record.position, reason)])

    def pending(self) -> int | None:
        """Rows waiting."""
        c = self.table.c
        with self.db.engine.connect() as conn:
            count = conn.execute(select(func.count()).where(c.status == "pending")).scalar()
        return int(count or 0)

    def _data(self, row: Row[Any, Any, Any, Any, Any]) -> dict[str, Any]:
        data = json.loads(row.payload)
        if not isinstance(data, dict):
            raise ValueError("payload is not a JSON object")
        env = data.setdefault("envelope", {})
        if not isinstance(env, dict):
            raise ValueError("envelope is not a JSON object")
        if env.setdefault("event_type", row.event_type) != row.event_type:
            raise ValueError("envelope.event_type differs from the event_type column")
        derived = row.event_id or str(uuid.uuid5(_NS, f"{self.table.name}|{row.id}"))
        if env.setdefault("event_id", derived) != derived and row.event_id:
            raise ValueError("envelope.event_id differs from the event_id column")
        env.setdefault("sender", self.context.party)
        env.setdefault("correlation_id", env["event_id"])
        if row.event_type in EVENT_CLASSES:
            env.setdefault("schema_version", EVENT_CLASSES[row.event_type].SCHEMA_VERSION)
        if "occurred_at" not in env and row.created_at is not None:
            env["occurred_at"] = row.created_at.isoformat()
        return data

    def _refuse_unreadable(self, unreadable: list[tuple[int, str, str]]) -> None:
        """Dead-letter rows that are not events, then mark them (the dead letter first)."""
        if not unreadable:
            return
        for _row_id, ref, reason in unreadable:
            self.context.errant.report_unreadable(ref, reason)
        self.context.errant.flush()
        self._mark_rejected([(row_id, reason) for row_id, _ref, reason in unreadable])

    def _mark_rejected(self, rows: list[tuple[Any, str]]) -> None:
        with self.db.engine.begin() as conn:
            for row_id, reason in rows:
                conn.execute(
                    update(self.table)
                    .where(self.table.c.id == row_id)
                    .values(status="rejected", reason=reason[:2000])
                )
