"""``sql-claims``: a claim the department's system records in ``sgbus_inbox`` (``claimed_at``
set, and ``claimed_by`` for the officer) is published as the party's Claim of that item; the
row then gets ``claim_event_id``. A claim that cannot be made (the item is not claimable, or
the bus refuses it) gets ``claim_error`` instead; clear it to try again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update

from sgbus.bus.claims import CLAIMABLE, build_claim
from sgbus.bus.events import EVENT_CLASSES
from sgbus.connectors.api import ConnectorContext, Source, SourceRecord
from sgbus.connectors.sql.config import SqlConfig
from sgbus.connectors.sql.db import DepartmentDb, OnTable
from sgbus.connectors.sql.tables import INBOX, inbox_table
from sgbus.producers.publisher import Receipt


class SqlClaimSource(OnTable, Source[SqlConfig]):
    """Polls ``sgbus_inbox`` for claims recorded and not yet published."""

    def __init__(self, config: SqlConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.table = inbox_table(config.table or INBOX)
        self.db = DepartmentDb(config.url.get_secret_value(), self.table, config.create_table)

    def poll(self, max_records: int) -> Sequence[SourceRecord]:
        """Claims recorded and not yet published, oldest first, as Claim events."""
        c = self.table.c
        query = (
            select(c.event_id, c.event_type, c.payload, c.claimed_at, c.claimed_by)
            .where(c.claimed_at.is_not(None), c.claim_event_id.is_(None), c.claim_error.is_(None))
            .order_by(c.claimed_at, c.event_id)
            .limit(max_records)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).all()
        records, refused = [], []
        for row in rows:
            if row.event_type not in CLAIMABLE:
                refused.append((row.event_id, f"a {row.event_type} is not claimed"))
                continue
            item = EVENT_CLASSES[row.event_type].model_validate_json(row.payload)
            officer = (row.claimed_by or "").strip() or None
            claim = build_claim(item, self.context.party, row.claimed_at, officer=officer)
            ref = f"{self.table.name} item {row.event_id}"
            records.append(SourceRecord(claim, self.table.name, row.event_id, ref))
        if refused:  # dead-lettered first, then marked, as every refused record
            for event_id, reason in refused:
                self.context.errant.report_unreadable(f"{self.table.name} item {event_id}", reason)
            self.context.errant.flush()
            self._mark_error(refused)
        return records

    def committed(self, records: Sequence[SourceRecord], receipts: Sequence[Receipt]) -> None:
        """Note each claim's event id on its item."""
        now = datetime.now(UTC)
        with self.db.engine.begin() as conn:
            for record, receipt in zip(records, receipts, strict=True):
                conn.execute(
                    update(self.table)
                    .where(self.table.c.event_id == record.position)
                    .values(claim_event_id=receipt.event_id, claim_published_at=now)
                )

    def rejected(self, record: SourceRecord, reason: str) -> None:
        """The bus refused the claim: say why on the item."""
        self._mark_error([(record.position, reason)])

    def _mark_error(self, rows: list[tuple[str, str]]) -> None:
        if not rows:
            return
        with self.db.engine.begin() as conn:
            for event_id, reason in rows:
                conn.execute(
                    update(self.table)
                    .where(self.table.c.event_id == event_id)
                    .values(claim_error=reason[:2000])
                )
