"""The watchdog: audit log → obligations → sweep → outbox → ``sg.watchdog.outbox``.

Each step:

1. reads a batch of ``sg.audit`` and hands it to the interpreter (decode + policy, in a worker
   process by default), then, in **one** database transaction, writes the batch read in the
   previous step: opens and answers obligations, writes outcome events and the dead letters
   of unreadable records to the outbox table and stores the next offsets;
2. once the whole group has read the audit log to its end, sweeps what is due on the clock
   (minus a grace for answers still in flight), each sweep batch in one transaction with its
   outcome events;
3. relays pending outbox rows to Kafka.

It runs on the service runtime (:class:`~sgbus.runtime.loop.ServiceLoop`): a transient fault
anywhere in a step (registry, broker, database, relay) rolls back the open transaction,
rewinds the consumer over every batch read but not written, drops their interpretation, and
the step is tried again after a backoff — nothing is skipped and no offset moves. A crash
resumes from the stored offsets, and deterministic ids make every re-derived outcome or dead
letter the same row, so nothing is lost or doubled. Several instances may share one
PostgreSQL store in one consumer group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient
from sqlalchemy import Engine

from sgbus.bus.calendar import Deadline, WorkingCalendar
from sgbus.bus.deadletter_payload import DROP, PayloadPolicy
from sgbus.bus.obligations.model import Outcome, State
from sgbus.bus.obligations.regional import AnyIngestor
from sgbus.bus.parties import AUDIT_TOPIC, WATCHDOG_PARTY, outbox_topic
from sgbus.bus.serde import Serde
from sgbus.bus.store import migrate
from sgbus.bus.store.outbox import enqueue
from sgbus.bus.topics import TopicSpec
from sgbus.consumers.stored_offsets import (
    StoredPositions,
    mirror_to_kafka,
    subscribe_from_store,
)
from sgbus.consumers.watchdog.audit import RawRecord, outcome_messages, raw_record
from sgbus.consumers.watchdog.batch_apply import apply_interpreted
from sgbus.consumers.watchdog.calendars import apply_calendars
from sgbus.consumers.watchdog.clock import Clock
from sgbus.consumers.watchdog.deadletters import dead_letters_for
from sgbus.consumers.watchdog.interpret import Interpreted
from sgbus.consumers.watchdog.interpreters import InlineInterpreter, Interpreter
from sgbus.consumers.watchdog.ledger import BatchResult, sweep
from sgbus.consumers.watchdog.progress import LocalProgress, group_caught_up, read_watermarks
from sgbus.consumers.watchdog.publishing import Publisher
from sgbus.consumers.watchdog.topics import create_missing_topics
from sgbus.monitoring import metrics
from sgbus.monitoring.lag import OffsetReader
from sgbus.monitoring.obligation_gauges import GaugeRefresher
from sgbus.producers.relay import OutboxRelay
from sgbus.runtime.faults import Fault, classify
from sgbus.runtime.guard import CallAbandoned, call_with_deadline
from sgbus.runtime.loop import ServiceLoop
from sgbus.runtime.reader import BatchReader, Msg, Taken

log = structlog.get_logger("sgbus.consumers.watchdog.service")
SERVICE = "watchdog"


@dataclass(frozen=True)
class WatchdogConfig:
    """Topics, group and pacing of one watchdog instance."""

    group_id: str = "sgbus-watchdog"
    audit_topic: str = AUDIT_TOPIC
    outbox_topic: str = field(default_factory=lambda: outbox_topic(WATCHDOG_PARTY))
    batch_size: int = 1000
    poll_timeout_s: float = 0.5
    sweep_limit: int = 1000
    grace_s: float = 5.0
    """Seconds (of the watchdog's clock) an answer may take from its sender to the audit log."""
    gauge_interval_s: float = 15.0
    relay_deadline_s: float = 120.0
    """How long a step waits for the relay before reporting it as a transient fault."""
    kafka_deadline_s: float = 30.0
    """How long a step waits for a broker query (end offsets, metadata)."""


@dataclass
class _Batch:
    """Records read in one step, the partitions found at their end, their interpretation."""

    msgs: list[Msg] = field(default_factory=list)
    records: list[RawRecord] = field(default_factory=list)
    ends: dict[tuple[str, int], int] = field(default_factory=dict)
    interpreted: Future[list[Interpreted]] | None = None


@dataclass
class StepStats:
    """What one loop iteration did."""

    consumed: int = 0
    opened: int = 0
    answered: int = 0
    outcomes: int = 0
    relayed: int = 0
    dead_lettered: int = 0
    caught_up: bool = False

    @property
    def idle(self) -> bool:
        """Nothing read, nothing due, nothing sent, and the audit log read to its end."""
        return self.caught_up and not (self.consumed or self.outcomes or self.relayed)


class Watchdog:
    """One watchdog instance. Build it, :meth:`start`, then :meth:`step` or :meth:`run`."""

    def __init__(
        self,
        *,
        engine: Engine,
        consumer: Consumer,
        relay: OutboxRelay,
        admin: AdminClient,
        serde: Serde,
        clock: Clock,
        ingestor: AnyIngestor,
        config: WatchdogConfig,
        load_calendar: Callable[[], WorkingCalendar] | None = None,
        interpreter: Interpreter | None = None,
        stop: threading.Event | None = None,
        topic_specs: Sequence[TopicSpec] = (),
        dead_letter_payload: PayloadPolicy = DROP,
    ) -> None:
        self.engine = engine
        self._payload = dead_letter_payload
        self.consumer = consumer
        self.admin = admin
        self.serde = serde
        self.clock = clock
        self.ingestor = ingestor
        self.config = config
        self.stop = stop or threading.Event()
        self.loop = ServiceLoop(SERVICE, self.stop)
        self._load_calendar = load_calendar
        self.interpreter: Interpreter = interpreter or InlineInterpreter(serde, ingestor)
        self._topic_specs = list(topic_specs)
        self._reader = BatchReader(
            consumer, config.batch_size, config.poll_timeout_s, probe_topic=config.audit_topic
        )
        self._unapplied: list[_Batch] = []
        """Batches read and not yet written, oldest first (at most two between steps)."""
        self._rewind_due: list[list[Msg]] = []
        self._retrying = False
        self._positions: StoredPositions | None = None
        self._publisher = Publisher(relay, self.stop, config.relay_deadline_s)
        self._progress = LocalProgress()
        self._reload_requested = False
        self._gauges = GaugeRefresher(engine, clock.now, config.gauge_interval_s)

    @property
    def calendar(self) -> WorkingCalendar:
        """The national working calendar (a region's may add its own override files)."""
        return self.ingestor.calendar

    def start(self) -> None:
        """Bring the store's schema and the missing topics up to date (waiting out transient
        faults), subscribe at the offsets stored for the group, start the gauges."""
        if self.loop.until_done(self._prepare) is None:
            return  # stopped while waiting
        self._gauges.start()
        self._positions = subscribe_from_store(
            self.consumer,
            self.engine,
            self.config.group_id,
            [self.config.audit_topic],
            on_assigned=lambda tps: self._progress.assign(tp.partition for tp in tps),
            on_revoked=lambda tps: self._progress.revoke(tp.partition for tp in tps),
        )

    def _prepare(self) -> bool:
        migrate(self.engine)
        create_missing_topics(self.admin, self._topic_specs, self.stop)
        return True

    def request_reload(self) -> None:
        """Re-read the calendar overrides at the next iteration (safe from a signal handler)."""
        self._reload_requested = True

    def run(
        self,
        should_stop: Callable[[], bool],
        *,
        until_idle: bool = False,
        on_step: Callable[[StepStats], None] | None = None,
    ) -> None:
        """Step until ``should_stop()`` or the stop signal; with ``until_idle``, also stop at
        the first idle step. Transient faults are waited out (see the module doc)."""
        while not (should_stop() or self.stop.is_set()):
            stats = self.loop.attempt(self.step, self._on_fault)
            if stats is None:
                continue
            if on_step is not None:
                on_step(stats)
            if until_idle and stats.idle:
                return

    def step(self) -> StepStats:
        """One iteration: read, write the batch read before, sweep when caught up, relay.

        Raises what it could not do; after a transient fault call :meth:`_on_fault` (the
        service loop does) so the batches not written are read again.
        """
        stats = StepStats()
        if self._positions is not None:
            self._positions.catch_up(self.consumer)  # partitions the store could not place
        rewound = self._rewind_if_due()
        if self._reload_requested:
            self._apply_all(stats)  # read before the reload: counted on the old calendar
            self._reload_calendar()
        taken = self._reader.take()
        if rewound and not taken.records:
            taken = self._reader.take()  # the fetch from the rewound offsets is on its way
        batch = self._read(taken)
        if batch.records and not self._retrying:
            # The batch read last is written while this one is interpreted.
            while len(self._unapplied) > 1:
                self._apply_oldest(stats)
        else:
            # Nothing to overlap with; or, after a fault, a step counts as a success (and the
            # service as recovered) only once what it read is written.
            self._apply_all(stats)
        self._retrying = False
        if self._progress.all_at_end() and self._group_caught_up():
            stats.caught_up = True
            self._sweep(stats)
        stats.relayed += self._relay_pending()
        return stats

    def close(self) -> None:
        """Write the batch in hand, send what is still pending, leave the group. Transient
        faults are logged, not raised: the stored offsets say where a restart resumes."""
        try:
            if not self._rewind_due:
                self._apply_all(StepStats())
            self._relay_pending(deadline_s=10.0, stop_aware=False)
        except Exception as exc:
            fault = classify(exc)
            if fault is None:
                raise
            log.warning("closing without writing the last batch", source=fault.source)
        finally:
            self._gauges.stop()
            self.interpreter.close()
            self._publisher.close()
            self._close_consumer()

    def lag_reader(self) -> OffsetReader:
        """This instance's lag, as its loop last recorded it (for the metrics thread)."""
        return self._reader.lag

    def _close_consumer(self) -> None:
        try:
            call_with_deadline(self.consumer.close, 15.0, threading.Event(), "consumer close")
        except CallAbandoned:
            log.warning("consumer did not leave the group in time")
        except KafkaException as exc:
            log.warning("consumer close failed", error=exc.args[0].name())

    # -- faults ---------------------------------------------------------------------------

    def _on_fault(self, fault: Fault) -> None:
        """Forget every batch not written: the consumer is put back to its first record at the
        next step, and its interpretation is dropped."""
        for batch in self._unapplied:
            if batch.interpreted is not None:
                batch.interpreted.cancel()
            if batch.msgs:
                self._rewind_due.append(batch.msgs)
            for _topic, partition in {(r.topic, r.partition) for r in batch.records}:
                self._progress.record(partition)
        self._unapplied.clear()
        self._retrying = True

    def _rewind_if_due(self) -> bool:
        if not self._rewind_due:
            return False
        self._reader.rewind(self._rewind_due)
        self._rewind_due.clear()
        return True

    # -- reading the audit log ----------------------------------------------------------

    def _read(self, taken: Taken) -> _Batch:
        batch = _Batch(msgs=taken.records, ends=dict(taken.ends))
        if taken.records or taken.ends:
            self._unapplied.append(batch)  # first: whatever fails next, it is rewound
        for m in taken.records:
            raw = raw_record(m)
            self._progress.record(raw.partition)
            batch.records.append(raw)
        for (_topic, partition), offset in batch.ends.items():
            self._progress.end(partition, offset)
        if batch.records:
            batch.interpreted = self.interpreter.submit(batch.records)
        return batch

    def _apply_all(self, stats: StepStats) -> None:
        while self._unapplied:
            self._apply_oldest(stats)

    def _apply_oldest(self, stats: StepStats) -> None:
        """Write the oldest batch not written (its interpretation may still be running)."""
        batch = self._unapplied[0]
        items = (
            self.interpreter.result(batch.interpreted, batch.records)
            if batch.interpreted is not None
            else []
        )
        with self.engine.begin() as conn:
            applied = apply_interpreted(
                conn,
                self.config.group_id,
                self.config.audit_topic,
                items,
                batch.ends,
                self._messages,
                dead_letters_for(self.serde, batch.records, self._payload),
                self._deadline_of,
            )
        self._unapplied.pop(0)
        stats.consumed += len(applied.records)
        for item in applied.records:
            self._report(item, stats)
        self._count(applied.result, stats)
        for why in applied.actions.skipped:
            log.warning("officer action changed no obligation", why=why)
        try:
            mirror_to_kafka(self.consumer, applied.next_offsets)
        except KafkaException as exc:  # only for lag metrics: the store has the offsets
            log.debug("offsets not mirrored to Kafka", error=exc.args[0].name())

    @staticmethod
    def _report(item: Interpreted, stats: StepStats) -> None:
        if item.dead_letter is not None:
            log.warning(
                "audit record dead-lettered",
                topic=item.topic,
                partition=item.partition,
                offset=item.offset,
                reason=item.dead_letter.value,
                detail=item.decode_error,
            )
            metrics.record_dead_letter(SERVICE, item.dead_letter.value)
            stats.dead_lettered += 1
            return
        metrics.record_event_in(SERVICE, item.sender or "other", item.event_type or "other")
        for why in item.skipped:
            log.warning(
                "policy rule opened or answered nothing",
                topic=item.topic,
                partition=item.partition,
                offset=item.offset,
                why=why,
            )

    def _count(self, result: BatchResult, stats: StepStats) -> None:
        stats.opened += len(result.opened)
        stats.answered += len(result.answered)
        stats.outcomes += len(result.outcomes)
        metrics.record_obligations_opened(result.opened)
        _record_outcomes(result.outcomes)
        for ob in result.answered:
            o = ob.opening
            if ob.answered_at is None:
                continue
            if ob.state is State.DISCHARGED:
                metrics.record_discharged(o.debtor, o.flow, o.region)
            # Late answers too: the delay histogram shows how late, not only who was on time.
            if ob.answered_at >= o.opened_at:
                cal = self.ingestor.calendar_for(o.region)
                worked = cal.working_time_between(o.opened_at, ob.answered_at)
                hours = worked.total_seconds() / 3600
                metrics.observe_answer_delay(o.debtor, o.flow, hours, o.region)

    # -- deadlines ------------------------------------------------------------------------

    def _group_caught_up(self) -> bool:
        watermarks = call_with_deadline(
            self._audit_watermarks, self.config.kafka_deadline_s, self.stop, "audit end offsets"
        )
        if watermarks is None:
            return False
        with self.engine.connect() as conn:
            return group_caught_up(conn, self.config.group_id, self.config.audit_topic, watermarks)

    def _audit_watermarks(self) -> dict[int, tuple[int, int]] | None:
        # The admin client has its own connections: a query on the consumer's would wait
        # behind the consumer's long-polling fetch.
        topic = self.config.audit_topic
        try:
            found = self.admin.list_topics(topic, timeout=10).topics.get(topic)
            if found is None or found.error is not None:
                return None
            return read_watermarks(self.admin, topic, list(found.partitions))
        except KafkaException as exc:
            if classify(exc) is not None:
                raise
            log.warning("cannot read the end of the audit log", error=exc.args[0].name())
            return None

    def _sweep(self, stats: StepStats) -> None:
        cutoff = self.clock.now() - timedelta(seconds=self.config.grace_s)
        while True:
            with self.engine.begin() as conn:
                outcomes = sweep(conn, cutoff, self.config.sweep_limit)
                enqueue(conn, self._messages(outcomes))
            _record_outcomes(outcomes)
            stats.outcomes += len(outcomes)
            if not outcomes:
                return
            stats.relayed += self._relay_pending()

    def _deadline_of(
        self, flow: str, region: str, at: datetime
    ) -> tuple[Deadline, Deadline | None]:
        """The period of ``flow`` counted from ``at``, for an obligation handed over."""
        policy = self.ingestor.policy
        return policy.deadline(flow, at, self.calendar), policy.reminder(flow, at, self.calendar)

    def _messages(self, outcomes: Sequence[Outcome]) -> list[Any]:
        return outcome_messages(
            outcomes, self.serde, self.ingestor.calendar_for, self.config.outbox_topic
        )

    def _reload_calendar(self) -> None:
        if self._load_calendar is None:
            log.warning("calendar reload asked, but no override files are configured")
            self._reload_requested = False
            return
        try:
            calendar = self._load_calendar()
        except (OSError, ValueError) as exc:
            log.error("calendar reload failed, keeping the current calendar", error=str(exc))
            self._reload_requested = False
            return
        self.ingestor = self.ingestor.with_calendar(calendar)
        self.interpreter.use_calendar(calendar)
        apply_calendars(self.engine, self.ingestor.rules_of)
        self._reload_requested = False  # only now: a store that failed is recomputed next step

    # -- publishing -------------------------------------------------------------------------

    def _relay_pending(self, deadline_s: float | None = None, stop_aware: bool = True) -> int:
        return self._publisher.drain(deadline_s, stop_aware=stop_aware)


def _record_outcomes(outcomes: Sequence[Outcome]) -> None:
    """Count outcomes committed to the outbox: per obligation, and as events written."""
    metrics.record_outcomes(outcomes)
    for out in outcomes:
        metrics.record_event_out(SERVICE, WATCHDOG_PARTY, out.kind.value)
