"""The router service: outboxes → inboxes and sg.audit, exactly once, in Kafka transactions.

Each step takes a batch from the outboxes, routes every record (:func:`route_record`), and
writes all outputs together with the consumed offsets in one transaction. Consumers
downstream read with ``isolation.level=read_committed``, so they see a batch whole or not at
all; after a crash the uncommitted batch is read again and its half-written output was never
visible.

Outages are waited out, never turned into dead letters: a registry that cannot be asked
(:class:`~sgbus.bus.serde.RegistryUnavailable`) or a transaction that did not commit sends
the batch back to be read again after a backoff. The router's own events (dead letters) have
their schema ids fetched at start-up, so setting a record aside never needs the registry.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition

from sgbus.bus import principals
from sgbus.bus.deadletter_payload import payload_policy
from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_consumer, make_producer
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC
from sgbus.bus.reading import timestamp_ms
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings
from sgbus.consumers.router.delivery_claims import ClaimModes
from sgbus.consumers.router.pool import PoolLedger, read_pool
from sgbus.consumers.router.process import AssignmentDirectory, Routed, route_record
from sgbus.consumers.router.records import InRecord
from sgbus.consumers.router.replays import ReplayLedger, read_ledger
from sgbus.monitoring import metrics
from sgbus.monitoring.lag import OffsetReader
from sgbus.runtime.faults import Fault
from sgbus.runtime.guard import CallAbandoned, call_with_deadline
from sgbus.runtime.loop import ServiceLoop
from sgbus.runtime.reader import BatchReader, Msg
from sgbus.runtime.stop import StopSignal
from sgbus.runtime.transactions import TransactionalWriter, TransactionFailed

log = structlog.get_logger("sgbus.router")

SERVICE = "router"
GROUP_ID = "sgbus-router"
OUTBOX_PATTERN = r"^sg\..+\.outbox$"
#: Events the router writes itself; their schema ids are resolved before the first batch.
ROUTER_OWN_EVENTS: tuple[str, ...] = ("DeadLetter", "RejectionNotice", "Claim")


@dataclass
class RouterStats:
    """Counts since start, for the CLI and tests."""

    batches: int = 0
    routed: int = 0
    dead_lettered: int = 0
    aborts: int = 0
    replays_dropped: int = 0
    claims_on_delivery: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Router:
    """One router instance; several share the work through the consumer group.

    ``stop`` ends :meth:`run` within a few seconds whatever it is doing (a
    :class:`~sgbus.runtime.stop.StopSignal` routes SIGTERM/SIGINT to it).
    """

    def __init__(
        self,
        settings: Settings,
        serde: Serde,
        directory: AssignmentDirectory,
        instance: str | None = None,
        batch_size: int = 500,
        *,
        stop: threading.Event | None = None,
        modes: ClaimModes | None = None,
    ) -> None:
        settings = settings.acting_as(principals.ROUTER)
        self._serde = serde
        self._directory = directory
        self._modes = modes
        self._stop = stop if stop is not None else StopSignal()
        instance = instance or socket.gethostname()
        # A short session lets the group hand a killed instance's partitions to the others
        # within seconds instead of the 45 s default.
        self._consumer: Consumer = make_consumer(
            settings,
            GROUP_ID,
            **{
                "topic.metadata.refresh.interval.ms": 5000,
                "session.timeout.ms": 10_000,
                "heartbeat.interval.ms": 2_000,
            },
        )
        self._reader = BatchReader(self._consumer, batch_size, 0.5, probe_topic=AUDIT_TOPIC)
        # A stable transactional id per instance lets a restarted instance fence its zombie.
        txn_id = self.transactional_id = f"{GROUP_ID}-{instance}"
        self._writer = TransactionalWriter(
            lambda: make_producer(settings, transactional_id=txn_id, **{"linger.ms": 2}),
            self._stop,
            # A commit takes milliseconds; one that hangs for seconds is abandoned early
            # (the producer is recreated and the batch read again), not waited out.
            timeout_s=10.0,
            deadline_s=15.0,
        )
        self.stats = RouterStats()
        self._replays = ReplayLedger(lambda: read_ledger(settings))
        self._pool = PoolLedger(lambda: read_pool(settings))
        self._payload = payload_policy(settings)
        self._pending: list[Msg] = []
        self._resync = False

    def lag_reader(self) -> OffsetReader:
        """This instance's lag, as its loop last recorded it (for the metrics thread)."""
        return self._reader.lag

    def stop(self) -> None:
        """Ask :meth:`run` to return (from any thread)."""
        self._stop.set()

    def run(self, idle_exit_s: float | None = None) -> RouterStats:
        """Route until stopped, or until idle for ``idle_exit_s`` seconds."""
        loop = ServiceLoop(SERVICE, self._stop)
        try:
            loop.until_done(self._learn_own_schemas)
            loop.until_done(self._writer.ready)
            if self._stop.is_set():
                return self.stats
            self._reader.subscribe([OUTBOX_PATTERN])
            log.info("routing", group=GROUP_ID, transactional_id=self.transactional_id)
            idle_since = time.monotonic()
            while not self._stop.is_set():
                if loop.attempt(self._step, self._on_fault):
                    idle_since = time.monotonic()
                elif idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                    break
        finally:
            self._close()
        return self.stats

    def _learn_own_schemas(self) -> None:
        """Fetch the schema ids of the router's own events while the registry answers, so a
        dead letter can be written later even when it does not."""
        for name in ROUTER_OWN_EVENTS:
            self._serde.framing.header(name, DEAD_LETTER_TOPIC)

    def _step(self) -> bool:
        """Route one batch; True when there was one."""
        if self._resync:
            self._writer.ready()
            self._reader.rewind_to_committed()
            self._resync = False
        taken = self._reader.take()
        if taken.rebalanced:
            # Records read before the rebalance may be another instance's by now, or be
            # read again after it: route nothing of this batch, start from the commits.
            self._resync = True
            return False
        records = taken.records
        if not records:
            return False
        self._pending = records
        replays, pool = self._replays.batch(), self._pool.batch()
        results = [
            route_record(
                _in_record(m),
                self._serde,
                self._directory,
                replays,
                pool,
                self._payload,
                self._modes,
            )
            for m in records
        ]
        try:
            self._writer.write(
                [out for r in results for out in r.out],
                _next_offsets(records),
                self._consumer.consumer_group_metadata(),
            )
        except TransactionFailed:
            self.stats.aborts += 1
            metrics.record_transaction_abort(SERVICE)
            self._resync = True  # only the committed offsets say whether it made it
            raise
        self._pending = []
        self._replays.committed(replays)
        self._pool.committed(pool)
        self._count(results)
        return True

    def _on_fault(self, _fault: Fault) -> None:
        """Read the batch that was not written again (registry away, transaction failed)."""
        self._reader.rewind([self._pending])
        self._pending = []

    def _count(self, results: list[Routed]) -> None:
        self.stats.batches += 1
        for r in results:
            if r.rejected is not None:
                self.stats.dead_lettered += 1
                reason = r.rejected.value
                self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1
                metrics.record_dead_letter(SERVICE, reason)
                log.info("dead-lettered a record", reason=reason)
                continue
            if r.replay_dropped:
                self.stats.replays_dropped += 1
                continue
            self.stats.routed += 1
            self.stats.claims_on_delivery += len(r.claimed_on_delivery)
            event_type = r.event_type or "other"
            metrics.record_event_in(SERVICE, r.sender or "other", event_type, region=r.region)
            for party in r.delivered_to:
                metrics.record_event_out(SERVICE, party, event_type, region=r.region)

    def _close(self) -> None:
        """Leave the group and let go of the producer, within a few seconds."""
        self._writer.close()
        try:
            call_with_deadline(self._consumer.close, 5.0, threading.Event(), "consumer close")
        except (CallAbandoned, KafkaException) as exc:
            log.warning("consumer did not close cleanly", error=type(exc).__name__)


def _next_offsets(records: list[Msg]) -> list[TopicPartition]:
    """Per partition, the offset after the last record: what the group commits."""
    offsets: dict[tuple[str, int], int] = {}
    for m in records:
        key = (m.topic() or "", m.partition() or 0)
        offsets[key] = max(offsets.get(key, 0), (m.offset() or 0) + 1)
    return [TopicPartition(t, p, o) for (t, p), o in offsets.items()]


def _in_record(m: Msg) -> InRecord:
    return InRecord(
        topic=m.topic() or "",
        partition=m.partition() or 0,
        offset=m.offset() or 0,
        key=m.key(),
        value=m.value(),
        headers=header_map(m.headers()),
        timestamp_ms=timestamp_ms(m),
    )
