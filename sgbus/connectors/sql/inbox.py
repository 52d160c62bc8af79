"""``sql-inbox``: each inbox item of the party upserted into ``sgbus_inbox`` in the
department's database, by event id, in one transaction per batch (committed before the inbox
offsets: a redelivery finds its row and changes nothing, not even a claim written since)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.claims import CLAIMABLE
from sgbus.bus.events import Event
from sgbus.bus.regions.configured import load_regions
from sgbus.connectors.api import ConnectorContext, InboxRecord, Sink
from sgbus.connectors.sql.config import SqlConfig
from sgbus.connectors.sql.db import DepartmentDb, OnTable, insert_ignore
from sgbus.connectors.sql.flatten import inbox_row
from sgbus.connectors.sql.tables import INBOX, inbox_table
from sgbus.consumers.watchdog.calendars import load_calendar


class SqlInboxSink(OnTable, Sink[SqlConfig]):
    """Writes inbox items to ``sgbus_inbox``."""

    def __init__(self, config: SqlConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.table = inbox_table(config.table or INBOX)
        self.db = DepartmentDb(config.url.get_secret_value(), self.table, config.create_table)
        settings = context.settings
        self._regions = load_regions(settings.policy, settings.catalogue)
        self._overrides = list(settings.calendar_overrides)
        self._calendars: dict[str, WorkingCalendar] = {}

    def put(self, records: Sequence[InboxRecord]) -> None:
        """Insert the batch's new items in one transaction (durable when it returns). When the
        database refuses the batch for its content (a constraint, a value too long), the items
        are inserted one by one and those it refuses are dead-lettered."""
        now = datetime.now(UTC)
        rows, kept = [], []
        for record in records:
            try:
                rows.append(inbox_row(record, now, self._claim_deadline))
            except ValueError as exc:  # e.g. a year the calendar cannot count in
                self.context.errant.report_inbox(record, f"not flattened: {type(exc).__name__}")
                continue
            kept.append(record)
        records = kept
        try:
            with self.db.engine.begin() as conn:
                insert_ignore(conn, self.table, rows)
        except (IntegrityError, DataError):
            self._one_by_one(records, rows)

    def _one_by_one(self, records: Sequence[InboxRecord], rows: list[dict[str, Any]]) -> None:
        for record, row in zip(records, rows, strict=True):
            try:
                with self.db.engine.begin() as conn:
                    insert_ignore(conn, self.table, [row])
            except (IntegrityError, DataError) as exc:
                reason = f"{self.table.name} refused it: {type(exc.orig).__name__}"
                self.context.errant.report_inbox(record, reason)

    def _claim_deadline(self, event: Event) -> datetime | None:
        """When the party must claim ``event`` under its region's policy and calendar (for
        claimable items of a region the bus covers)."""
        where = self._regions.resolve(event.envelope.region)
        if event.envelope.event_type not in CLAIMABLE or where is None:
            return None
        if "claim" not in where.policy.rules_by_flow:
            return None  # a city whose rules set no claim period
        if where.label not in self._calendars:
            files = [*self._overrides, *where.calendar_files]
            self._calendars[where.label] = load_calendar(files)
        due = where.policy.deadline(
            "claim", event.envelope.occurred_at, self._calendars[where.label]
        )
        return due.due_at
