"""The watchdog service loop: audit log → obligations → sweep → outbox → ``sg.watchdog.outbox``.

Each loop iteration:

1. reads a batch of ``sg.audit`` and, in **one** database transaction, opens and answers
   obligations, writes any outcome events to the outbox table and stores the next offsets;
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from sqlalchemy import Connection, Engine, select

from sgbus.bus.batching import take_batch
from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.events import event_type_of
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.obligations.model import Answer, Opening, Outcome, State
from sgbus.bus.parties import AUDIT_TOPIC, WATCHDOG_PARTY, outbox_topic
from sgbus.bus.serde import DecodeError, Serde
from sgbus.bus.store.offsets import next_offsets_of, save_offsets
from sgbus.bus.store.outbox import enqueue
from sgbus.bus.store.tables import consumer_offsets
from sgbus.consumers.stored_offsets import mirror_to_kafka, subscribe_from_store
from sgbus.consumers.watchdog.audit import RawRecord, decode_audit, outcome_messages
from sgbus.consumers.watchdog.calendars import apply_calendar
from sgbus.consumers.watchdog.clock import Clock
from sgbus.consumers.watchdog.ledger import BatchResult, apply_batch, sweep
from sgbus.consumers.watchdog.progress import LocalProgress, group_caught_up, read_watermarks
from sgbus.monitoring import metrics
from sgbus.monitoring.obligation_gauges import refresh_obligation_gauges
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
    ) -> None:
        self.engine = engine
        self.consumer = consumer
        self.admin = admin
        self.serde = serde
        self.clock = clock
        self.ingestor = ingestor
        self.config = config
        self._load_calendar = load_calendar
        self._relay = OutboxRelay(engine, producer)
        self._progress = LocalProgress()
        self._reload_requested = False
        self._gauges_at = 0.0

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar deadlines are computed on."""
        return self.ingestor.calendar

    def start(self) -> None:
        """Subscribe to the audit log at the offsets stored for the group."""
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
            self._reload_calendar()
        msgs = take_batch(self.consumer, self.config.batch_size, self.config.poll_timeout_s)
        self._ingest(msgs, stats)
        if self._progress.all_at_end() and self._group_caught_up():
            stats.caught_up = True
            self._sweep(stats)
        stats.relayed += self._relay_pending()
        self._refresh_gauges()
        metrics.mark_heartbeat(SERVICE)
        return stats

    def close(self) -> None:
        """Leave the group and send what is still pending."""
        self._relay_pending()
        self.consumer.close()

    # -- reading the audit log ----------------------------------------------------------

    def _ingest(self, msgs: Sequence[Any], stats: StepStats) -> None:
        records: list[RawRecord] = []
        ends: dict[tuple[str, int], int] = {}
        for m in msgs:
            err = m.error()
            if err is None:
                self._progress.record(m.partition())
                records.append(
                    RawRecord(m.topic(), m.partition(), m.offset(), m.value(), m.headers())
                )
            elif err.code() == KafkaError._PARTITION_EOF:
                self._progress.end(m.partition(), m.offset())
                ends[(m.topic(), m.partition())] = m.offset()
            else:
                log.warning("consumer error (retried by the client): %s", err)
        if not records and not ends:
            return
        with self.engine.begin() as conn:
            parts = {r.partition for r in records} | {p for _, p in ends}
            stored = _stored_offsets(conn, self.config.group_id, self.config.audit_topic, parts)
            fresh = [r for r in records if r.offset >= stored.get(r.partition, 0)]
            openings, answers, accepted = self._interpret(fresh, stats)
            result = apply_batch(conn, openings, answers)
            enqueue(conn, self._messages(result.outcomes))
            nexts = _advance(next_offsets_of((r.topic, r.partition, r.offset) for r in fresh), ends)
            nexts = {tp: o for tp, o in nexts.items() if o > stored.get(tp[1], -1)}
            save_offsets(conn, self.config.group_id, nexts)
        stats.consumed += len(fresh)
        for sender, event_type in accepted:
            metrics.record_event_in(SERVICE, sender, event_type)
        self._count(result, stats)
        mirror_to_kafka(self.consumer, nexts)

    def _interpret(
        self, records: Sequence[RawRecord], stats: StepStats
    ) -> tuple[list[Opening], list[Answer], list[tuple[str, str]]]:
        """Openings and answers of ``records``, and (sender, event type) of each one read."""
        openings: list[Opening] = []
        answers: list[Answer] = []
        accepted: list[tuple[str, str]] = []
        for raw in records:
            try:
                audit = decode_audit(self.serde, raw)
                ingested = self.ingestor.ingest(audit)
            except DecodeError as exc:
                # The router accepted it, so this reader lacks a schema: skip, loudly.
                log.error("audit record skipped: %s", exc)
                stats.skipped += 1
                continue
            accepted.append((audit.event.envelope.sender, event_type_of(audit.event)))
            openings += ingested.openings
            answers += ingested.answers
            for why in ingested.skipped:
                log.warning("audit record %s[%d]@%d: %s", raw.topic, raw.partition, raw.offset, why)
        return openings, answers, accepted

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
        apply_calendar(self.engine, self.ingestor.policy, calendar)

    # -- publishing and gauges --------------------------------------------------------------

    def _relay_pending(self) -> int:
        try:
            return self._relay.drain()
        except RelayError as exc:
            log.warning("outbox relay: %s (rows stay pending, retried next loop)", exc)
            return 0

    def _refresh_gauges(self) -> None:
        if time.monotonic() - self._gauges_at < self.config.gauge_interval_s:
            return
        self._gauges_at = time.monotonic()
        with self.engine.connect() as conn:
            refresh_obligation_gauges(conn, self.clock.now())


def _record_outcomes(outcomes: Sequence[Outcome]) -> None:
    """Count outcomes committed to the outbox: per obligation, and as events written."""
    metrics.record_outcomes(outcomes)
    for out in outcomes:
        metrics.record_event_out(SERVICE, WATCHDOG_PARTY, out.kind.value)


def _stored_offsets(
    conn: Connection, group_id: str, topic: str, partitions: set[int]
) -> dict[int, int]:
    """Next offsets stored for ``partitions`` of ``topic``, locked on PostgreSQL until the
    transaction ends, so that an instance that lost a partition in a rebalance cannot apply
    a batch the new owner already applied."""
    c = consumer_offsets.c
    q = select(c.partition, c.next_offset).where(
        c.group_id == group_id, c.topic == topic, c.partition.in_(sorted(partitions))
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return {r.partition: r.next_offset for r in conn.execute(q)}


def _advance(
    nexts: dict[tuple[str, int], int], ends: dict[tuple[str, int], int]
) -> dict[tuple[str, int], int]:
    """Next offsets from records and end-of-partition reports, the further of the two."""
    out = dict(nexts)
    for tp, offset in ends.items():
        out[tp] = max(out.get(tp, 0), offset)
    return out
