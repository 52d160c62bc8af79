"""The source runner: a :class:`~sgbus.connectors.api.Source` into the party's outbox.

Each step polls a batch, dead-letters the records the bus would refuse (invalid, or sent in
another party's name) and tells the source, publishes the others and waits until the broker
has every one, and only then stores the streams' positions and tells the source they are
committed. A kill before the positions are stored polls the same records again: a source
derives each event id from its record (or takes the one given), so a re-send carries the
same id and every reader of the bus keeps it once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sgbus.bus.events import DeadLetterReason
from sgbus.bus.validation import EventValidationError, check_event
from sgbus.connectors.api import Position, Source, SourceRecord
from sgbus.connectors.runtime import Harness, log
from sgbus.monitoring import metrics
from sgbus.producers.publisher import Publisher, PublishError, Receipt
from sgbus.runtime.faults import Fault, TransientError


class SourceRunner:
    """Runs one source connector until stopped."""

    def __init__(self, harness: Harness, source: Source[Any]) -> None:
        self.h = harness
        self.source = source
        self.publisher = Publisher(
            harness.party,
            harness.settings,
            harness.serde,
            producer=harness.producer,
            validate=False,  # validated record by record below, to dead-letter the bad ones
        )
        self.published = 0
        #: Restart the source from the stored positions before the next poll (at start, and
        #: after a fault: the records polled since were not all published).
        self._resume = True

    def run(self) -> None:
        """Publish until the stop event is set; the batch in hand finishes first."""
        self.h.start()
        loop = self.h.loop()
        try:
            if loop.until_done(self._open) is not None:
                log.info("source connector started", connector=self.h.name)
                loop.run(self.step, self._on_fault)
        finally:
            self.h.close(self.source.close)

    def _open(self) -> bool:
        self.h.migrate_state()
        self.source.open()
        self._resume = True
        return True

    def step(self) -> int:
        """Publish one batch; the number of events the broker took."""
        if self._resume:
            self.source.start(self.h.state.positions())
            self._resume = False
        records = self.source.poll(self.h.config.batch_size)
        metrics.set_connector_lag(self.h.name, self.source.pending() or 0)
        if not records:
            self.h.stop.wait(self.h.config.poll_interval_s)
            return 0
        good, refused = self._sort(records)
        self.h.errant.flush()
        for record, reason in refused:
            self.source.rejected(record, reason)
        receipts = self._publish(good)
        self.h.state.save_positions(_last_positions(records), datetime.now(UTC))
        self.source.committed(good, receipts)
        metrics.record_connector_batch(self.h.name, self.h.party, len(records), len(good))
        self.published += len(good)
        log.info(
            "batch published", connector=self.h.name, records=len(records), refused=len(refused)
        )
        return len(good)

    def _sort(
        self, records: Sequence[SourceRecord]
    ) -> tuple[list[SourceRecord], list[tuple[SourceRecord, str]]]:
        good: list[SourceRecord] = []
        refused: list[tuple[SourceRecord, str]] = []
        for record in records:
            sender = record.event.envelope.sender
            if sender != self.h.party:
                reason = f"sender {sender!r} is not the connector's party {self.h.party!r}"
                self.h.errant.report_source(record, reason, DeadLetterReason.SENDER_NOT_OWNER)
                refused.append((record, reason))
                continue
            try:
                check_event(record.event)
            except EventValidationError as exc:
                self.h.errant.report_source(record, str(exc))
                refused.append((record, str(exc)))
                continue
            good.append(record)
        return good, refused

    def _publish(self, records: Sequence[SourceRecord]) -> list[Receipt]:
        if not records:
            return []
        try:
            return self.publisher.publish_many([r.event for r in records])
        except PublishError as exc:
            raise TransientError("broker", str(exc)) from exc

    def _on_fault(self, fault: Fault) -> None:
        """Count the fault; the source starts again from the stored positions."""
        self.h.on_fault(fault)
        self._resume = True


def _last_positions(records: Sequence[SourceRecord]) -> dict[str, Position]:
    """Each stream's position after the last of ``records``."""
    return {r.stream: r.position for r in records}


def run_source(harness: Harness, stop: threading.Event | None = None) -> SourceRunner:
    """Build the source of ``harness`` and run it until stopped."""
    if stop is not None:
        harness.stop = stop
    source = harness.spec.factory(harness.config, harness.context())
    assert isinstance(source, Source)
    runner = SourceRunner(harness, source)
    runner.run()
    return runner
