"""The watchdog service loop: audit log → obligations → sweep → outbox → ``sg.watchdog.outbox``.

Each loop iteration:

1. reads a batch of ``sg.audit`` and hands it to the interpreter (decode + policy, in a worker
   process by default), then, in **one** database transaction, writes the batch read in the
   previous iteration: opens and answers obligations, writes any outcome events to the outbox
   table and stores the next offsets;
2. once the whole group has read the audit log to its end, sweeps what is due on the clock
   (minus a grace for answers still in flight), each sweep batch in one transaction with its
   outcome events;
3. relays pending outbox rows to Kafka.

A crash anywhere rolls back the open transaction; the restart resumes from the stored offsets
and the deterministic ids make every re-derived outcome the same row, so nothing is lost or
doubled. Several instances may share one PostgreSQL store in one consumer group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from sqlalchemy import Engine

from sgbus.bus.batching import take_batch
from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.obligations.model import Outcome, State
from sgbus.bus.parties import AUDIT_TOPIC, WATCHDOG_PARTY, outbox_topic
from sgbus.bus.serde import Serde
from sgbus.bus.store.outbox import enqueue
from sgbus.consumers.stored_offsets import mirror_to_kafka, subscribe_from_store
from sgbus.consumers.watchdog.audit import RawRecord, outcome_messages
from sgbus.consumers.watchdog.batch_apply import apply_interpreted
from sgbus.consumers.watchdog.calendars import apply_calendar
from sgbus.consumers.watchdog.clock import Clock
from sgbus.consumers.watchdog.interpret import Interpreted
from sgbus.consumers.watchdog.interpreters import InlineInterpreter, Interpreter
from sgbus.consumers.watchdog.ledger import BatchResult, sweep
from sgbus.consumers.watchdog.progress import LocalProgress, group_caught_up, read_watermarks
from sgbus.monitoring import metrics
from sgbus.monitoring.obligation_gauges import GaugeRefresher
from sgbus.producers.relay import OutboxRelay, RelayError

log = logging.getLogger("sgbus.watchdog")
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


@dataclass
class _Batch:
    """Records read in one step, and the partitions found at their end."""

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
    skipped: int = 0
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
        producer: Producer,
        admin: AdminClient,
        serde: Serde,
        clock: Clock,
        ingestor: Ingestor,
        config: WatchdogConfig,
        load_calendar: Callable[[], WorkingCalendar] | None = None,
        interpreter: Interpreter | None = None,
    ) -> None:
        self.engine = engine
        self.consumer = consumer
        self.admin = admin
        self.serde = serde
        self.clock = clock
        self.ingestor = ingestor
        self.config = config
        self._load_calendar = load_calendar
        self.interpreter: Interpreter = interpreter or InlineInterpreter(serde, ingestor)
        self._pending: _Batch | None = None
        self._relay = OutboxRelay(engine, producer)
        self._progress = LocalProgress()
        self._reload_requested = False
        self._gauges = GaugeRefresher(engine, clock.now, config.gauge_interval_s)

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar deadlines are computed on."""
        return self.ingestor.calendar

    def start(self) -> None:
        """Subscribe to the audit log at the offsets stored for the group; start refreshing
        the obligation gauges."""
        self._gauges.start()
        subscribe_from_store(
            self.consumer,
            self.engine,
            self.config.group_id,
            [self.config.audit_topic],
            on_assigned=lambda tps: self._progress.assign(tp.partition for tp in tps),
            on_revoked=lambda tps: self._progress.revoke(tp.partition for tp in tps),
        )

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
        """Loop until ``should_stop()``; with ``until_idle``, also stop at the first idle step."""
        while not should_stop():
            stats = self.step()
            if on_step is not None:
                on_step(stats)
            if until_idle and stats.idle:
                return

    def step(self) -> StepStats:
        """One iteration: read, sweep when caught up, relay."""
        stats = StepStats()
        if self._reload_requested:
            self._apply_pending(stats)  # read before the reload: counted on the old calendar
            self._reload_calendar()
        msgs = take_batch(self.consumer, self.config.batch_size, self.config.poll_timeout_s)
        batch = self._read(msgs)
        # The batch read last is written while this one is interpreted; an empty read has
        # nothing to overlap with, so whatever was read is written now.
        self._apply_pending(stats)
        self._pending = batch
        if not batch.records:
            self._apply_pending(stats)
        if self._progress.all_at_end() and self._group_caught_up():
            stats.caught_up = True
            self._sweep(stats)
        stats.relayed += self._relay_pending()
        metrics.mark_heartbeat(SERVICE)
        return stats

    def close(self) -> None:
        """Write the batch in hand, send what is still pending, leave the group."""
        try:
            self._apply_pending(StepStats())
            self._relay_pending()
        finally:
            self._gauges.stop()
            self.interpreter.close()
            self.consumer.close()

    # -- reading the audit log ----------------------------------------------------------

    def _read(self, msgs: Sequence[Any]) -> _Batch:
        batch = _Batch()
        for m in msgs:
            err = m.error()
            if err is None:
                self._progress.record(m.partition())
                batch.records.append(
                    RawRecord(m.topic(), m.partition(), m.offset(), m.value(), m.headers())
                )
            elif err.code() == KafkaError._PARTITION_EOF:
                self._progress.end(m.partition(), m.offset())
                batch.ends[(m.topic(), m.partition())] = m.offset()
            else:
                log.warning("consumer error (retried by the client): %s", err)
        if batch.records:
            batch.interpreted = self.interpreter.submit(batch.records)
        return batch

    def _apply_pending(self, stats: StepStats) -> None:
        """Write the batch read last to the store (its interpretation may still be running)."""
        batch, self._pending = self._pending, None
        if batch is None or not (batch.records or batch.ends):
            return
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
            )
        stats.consumed += len(applied.records)
        for item in applied.records:
            self._report(item, stats)
        self._count(applied.result, stats)
        mirror_to_kafka(self.consumer, applied.next_offsets)

    @staticmethod
    def _report(item: Interpreted, stats: StepStats) -> None:
        if item.decode_error is not None:
            # The router accepted it, so this reader lacks a schema: skip, loudly.
            log.error("audit record skipped: %s", item.decode_error)
            stats.skipped += 1
            return
        metrics.record_event_in(SERVICE, item.sender or "other", item.event_type or "other")
        for why in item.skipped:
            log.warning("audit record %s[%d]@%d: %s", item.topic, item.partition, item.offset, why)

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
                metrics.record_discharged(o.debtor, o.flow)
            # Late answers too: the delay histogram shows how late, not only who was on time.
            if ob.answered_at >= o.opened_at:
                worked = self.calendar.working_time_between(o.opened_at, ob.answered_at)
                metrics.observe_answer_delay(o.debtor, o.flow, worked.total_seconds() / 3600)

    # -- deadlines ------------------------------------------------------------------------

    def _group_caught_up(self) -> bool:
        # The admin client has its own connections: a query on the consumer's would wait
        # behind the consumer's long-polling fetch.
        topic = self.config.audit_topic
        found = self.admin.list_topics(topic, timeout=10).topics.get(topic)
        if found is None or found.error is not None:
            return False
        try:
            watermarks = read_watermarks(self.admin, topic, list(found.partitions))
        except KafkaException as exc:
            log.warning("cannot read the end of %s: %s", topic, exc)
            return False
        with self.engine.connect() as conn:
            return group_caught_up(conn, self.config.group_id, topic, watermarks)

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

    def _messages(self, outcomes: Sequence[Outcome]) -> list[Any]:
        return outcome_messages(outcomes, self.serde, self.calendar, self.config.outbox_topic)

    def _reload_calendar(self) -> None:
        self._reload_requested = False
        if self._load_calendar is None:
            log.warning("calendar reload asked, but no override files are configured")
            return
        try:
            calendar = self._load_calendar()
        except (OSError, ValueError) as exc:
            log.error("calendar reload failed, keeping the current calendar: %s", exc)
            return
        self.ingestor = self.ingestor.with_calendar(calendar)
        self.interpreter.use_calendar(calendar)
        apply_calendar(self.engine, self.ingestor.policy, calendar)

    # -- publishing and gauges --------------------------------------------------------------

    def _relay_pending(self) -> int:
        try:
            return self._relay.drain()
        except RelayError as exc:
            log.warning("outbox relay: %s (rows stay pending, retried next loop)", exc)
            return 0


def _record_outcomes(outcomes: Sequence[Outcome]) -> None:
    """Count outcomes committed to the outbox: per obligation, and as events written."""
    metrics.record_outcomes(outcomes)
    for out in outcomes:
        metrics.record_event_out(SERVICE, WATCHDOG_PARTY, out.kind.value)
