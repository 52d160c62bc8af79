"""The console's projector: ``sg.audit`` → the console's tables, on the shared service runtime.

Each step reads a batch, decodes it and applies the policy (the watchdog's
:class:`~sgbus.bus.obligations.ingest.Ingestor`, so deadlines are the watchdog's), then
writes items, answers, history, obligations and the next offsets in one transaction. Once
every assigned partition has been read to its end, the obligations are swept on the clock
(the watchdog's ``sweep``; its outcomes are the watchdog's to publish and are dropped here), so
states shown match what the watchdog decides.

A transient fault (broker, registry, database) rewinds the consumer to the batch's first
record and the step is retried after a backoff; nothing is skipped. A record that cannot be
decoded is logged by position and passed (the watchdog dead-letters it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from confluent_kafka import Consumer, KafkaException
from sqlalchemy import Engine

from sgbus.bus.calendar import Deadline
from sgbus.bus.obligations.regional import AnyIngestor
from sgbus.bus.parties import AUDIT_TOPIC
from sgbus.bus.serde import DecodeError, Serde
from sgbus.bus.store import migrate
from sgbus.console.readmodel.project import project
from sgbus.console.readmodel.write import Projected, Written, write_batch
from sgbus.consumers.stored_offsets import StoredPositions, subscribe_from_store
from sgbus.consumers.watchdog.audit import decode_audit, raw_record
from sgbus.consumers.watchdog.calendars import apply_calendars
from sgbus.consumers.watchdog.clock import Clock
from sgbus.consumers.watchdog.item_actions import DeadlineOf
from sgbus.consumers.watchdog.ledger import sweep
from sgbus.consumers.watchdog.progress import LocalProgress
from sgbus.monitoring import metrics
from sgbus.runtime.loop import ServiceLoop
from sgbus.runtime.reader import BatchReader, Msg

log = structlog.get_logger("sgbus.console.readmodel.service")
SERVICE = "console"


@dataclass(frozen=True)
class ProjectorConfig:
    """Group, topic and pacing of the projector."""

    group_id: str = "sgbus-console"
    topic: str = AUDIT_TOPIC
    batch_size: int = 500
    poll_timeout_s: float = 0.5
    grace_s: float = 5.0
    """Seconds an answer may take to reach the audit log; the sweep looks that far back."""
    sweep_limit: int = 1000


def deadline_of(ingestor: AnyIngestor) -> DeadlineOf:
    """How the period of a handed-over item is counted: under the rules of its region, as the
    watchdog counts it."""

    def count(flow: str, region: str, at: datetime) -> tuple[Deadline, Deadline | None]:
        rules = ingestor.rules_of(region)
        if rules is None:
            raise KeyError(f"region {region} is not covered")
        policy, calendar = rules
        return policy.deadline(flow, at, calendar), policy.reminder(flow, at, calendar)

    return count


class Projector:
    """Keeps the console's read model up with the audit log. :meth:`start`, then :meth:`run`."""

    def __init__(
        self,
        *,
        engine: Engine,
        consumer: Consumer,
        serde: Serde,
        ingestor: AnyIngestor,
        clock: Clock,
        config: ProjectorConfig | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.consumer = consumer
        self.serde = serde
        self.ingestor = ingestor
        self.clock = clock
        self.config = config or ProjectorConfig()
        self.stop = stop or threading.Event()
        self.loop = ServiceLoop(SERVICE, self.stop)
        self._reader = BatchReader(
            consumer,
            self.config.batch_size,
            self.config.poll_timeout_s,
            probe_topic=self.config.topic,
        )
        self._progress = LocalProgress()
        self._positions: StoredPositions | None = None
        self._rewind: list[Msg] = []
        #: Set once the store's schema is up to date: the web app may answer from then on.
        self.store_ready = threading.Event()

    def start(self) -> bool:
        """Bring the store's schema up to date and subscribe at the stored offsets (waiting
        out transient faults); False when stopped first."""
        if self.loop.until_done(self._prepare) is None:
            return False
        self._positions = subscribe_from_store(
            self.consumer,
            self.engine,
            self.config.group_id,
            [self.config.topic],
            on_assigned=lambda tps: self._progress.assign(tp.partition for tp in tps),
            on_revoked=lambda tps: self._progress.revoke(tp.partition for tp in tps),
        )
        return True

    def _prepare(self) -> bool:
        migrate(self.engine)
        self.store_ready.set()
        # Provisional deadlines already stored follow the calendar this instance runs on, as
        # the watchdog's do after a reload.
        apply_calendars(self.engine, self.ingestor.rules_of)
        return True

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Step until stopped; transient faults are waited out."""
        while not (should_stop() or self.stop.is_set()):
            self.loop.attempt(self.step, lambda _fault: self._on_fault())

    def step(self) -> Written:
        """Read a batch, write it, sweep when caught up."""
        if self._positions is not None:
            self._positions.catch_up(self.consumer)
        if self._rewind:
            self._reader.rewind([self._rewind])
            self._rewind = []
        taken = self._reader.take()
        # A batch read across a rebalance is still safe: write_batch drops every record at an
        # offset the store already has, and new partitions start from the store's offsets.
        self._rewind = list(taken.records)  # until written: a fault puts the consumer back
        batch = [self._projected(m) for m in taken.records]
        with self.engine.begin() as conn:
            written = write_batch(
                conn,
                self.config.group_id,
                self.config.topic,
                batch,
                dict(taken.ends),
                deadline_of(self.ingestor),
            )
        self._rewind = []
        self._track(taken.records, taken.ends)
        self._report(written)
        if self._progress.all_at_end():
            self._sweep()
        return written

    def close(self) -> None:
        """Leave the group; the stored offsets say where a restart resumes."""
        try:
            self.consumer.close()
        except KafkaException as exc:
            log.warning("consumer close failed", error=exc.args[0].name())

    def _on_fault(self) -> None:
        for m in self._rewind:
            self._progress.record(m.partition() or 0)

    def _projected(self, m: Msg) -> Projected:
        raw = raw_record(m)
        try:
            audit = decode_audit(self.serde, raw)
        except DecodeError:
            return Projected(raw.partition, raw.offset)
        got = self.ingestor.ingest(audit)
        received = raw.appended_at or datetime.now(UTC)
        return Projected(
            raw.partition,
            raw.offset,
            project(audit, got.openings, received, raw.value),
            tuple(got.openings),
            tuple(got.answers),
            tuple(got.actions),
        )

    def _track(self, records: list[Msg], ends: dict[tuple[str, int], int]) -> None:
        for m in records:
            self._progress.record(m.partition() or 0)
        for (_topic, partition), offset in ends.items():
            self._progress.end(partition, offset)

    def _report(self, written: Written) -> None:
        for partition, offset in written.skipped:
            log.warning("audit record not readable, passed", partition=partition, offset=offset)
        if written.records:
            metrics.record_event_in(SERVICE, "audit", "any", written.records)

    def _sweep(self) -> None:
        cutoff = self.clock.now() - timedelta(seconds=self.config.grace_s)
        while True:
            with self.engine.begin() as conn:
                swept = sweep(conn, cutoff, self.config.sweep_limit)
            if len(swept) < self.config.sweep_limit:
                return
