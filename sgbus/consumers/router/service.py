"""The router service: outboxes → inboxes and sg.audit, exactly once, in Kafka transactions.

Per batch: begin a transaction, produce everything :func:`route_record` returns for each
record, add the consumed offsets to the transaction, commit. Consumers downstream read with
``isolation.level=read_committed``, so they see a batch whole or not at all; after a crash
the uncommitted batch is read again and its half-written output was never visible.
"""

from __future__ import annotations

import logging
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from sgbus.bus.batching import take_batch
from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_consumer, make_producer
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings
from sgbus.consumers.router.process import AssignmentDirectory, Routed, route_record
from sgbus.consumers.router.records import InRecord, OutRecord
from sgbus.monitoring import metrics

log = logging.getLogger("sgbus.router")

SERVICE = "router"
GROUP_ID = "sgbus-router"
OUTBOX_PATTERN = r"^sg\..+\.outbox$"


@dataclass
class RouterStats:
    """Counts since start, for the CLI and tests."""

    batches: int = 0
    routed: int = 0
    dead_lettered: int = 0
    aborts: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Router:
    """One router instance; several share the work through the consumer group."""

    def __init__(
        self,
        settings: Settings,
        serde: Serde,
        directory: AssignmentDirectory,
        instance: str | None = None,
        batch_size: int = 500,
    ) -> None:
        self._serde = serde
        self._directory = directory
        self._batch_size = batch_size
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
        # A stable transactional id per instance lets a restarted instance fence its zombie.
        self._producer: Producer = make_producer(
            settings, transactional_id=f"{GROUP_ID}-{instance}", **{"linger.ms": 2}
        )
        self.stats = RouterStats()
        self._stopping = False

    def run(
        self, should_stop: Callable[[], bool] = lambda: False, idle_exit_s: float | None = None
    ) -> RouterStats:
        """Route until stopped (signal, ``should_stop``), or idle for ``idle_exit_s``."""
        self._producer.init_transactions(30)
        self._consumer.subscribe([OUTBOX_PATTERN])
        idle_since = time.monotonic()
        try:
            while not (self._stopping or should_stop()):
                msgs = take_batch(self._consumer, self._batch_size, timeout_s=0.5)
                metrics.mark_heartbeat(SERVICE)
                records = [m for m in msgs if self._usable(m)]
                if not records:
                    if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                        break
                    continue
                idle_since = time.monotonic()
                self._route_batch(records)
        finally:
            self._consumer.close()
            self._producer.flush(10)
        return self.stats

    def stop(self, *_: object) -> None:
        """Finish the current batch, then return from :meth:`run`."""
        self._stopping = True

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the router cleanly after its current batch."""

        def handler(_sig: int, _frame: FrameType | None) -> None:
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    @staticmethod
    def _usable(msg: Message[bytes, bytes]) -> bool:
        err = msg.error()
        if err is None:
            return True
        if err.code() != KafkaError._PARTITION_EOF:
            log.warning("consumer error: %s", err)
        return False

    def _route_batch(self, msgs: list[Message[bytes, bytes]]) -> None:
        results = [route_record(_in_record(m), self._serde, self._directory) for m in msgs]
        try:
            self._commit(msgs, results)
        except KafkaException as exc:
            err = exc.args[0]
            if not err.txn_requires_abort() and not err.retriable():
                raise  # fatal, e.g. fenced by a newer instance with our id: stop
            self.stats.aborts += 1
            metrics.record_transaction_abort(SERVICE)
            log.warning("transaction aborted; the batch will be read again: %s", err)
            self._producer.abort_transaction(30)
            self._rewind(msgs)
            return
        self._count(results)

    def _rewind(self, msgs: list[Message[bytes, bytes]]) -> None:
        """Seek back to the batch's first offsets, on partitions still ours (after a
        rebalance the new owner starts from the last committed offset anyway)."""
        first: dict[tuple[str, int], int] = {}
        for m in msgs:
            first.setdefault((m.topic() or "", m.partition() or 0), m.offset() or 0)
        owned = {(tp.topic, tp.partition) for tp in self._consumer.assignment()}
        for (topic, partition), offset in first.items():
            if (topic, partition) in owned:
                self._consumer.seek(TopicPartition(topic, partition, offset))

    def _commit(self, msgs: list[Message[bytes, bytes]], results: list[Routed]) -> None:
        self._producer.begin_transaction()
        for routed in results:
            for out in routed.out:
                self._produce(out)
        offsets: dict[tuple[str, int], int] = {}
        for m in msgs:
            key = (m.topic() or "", m.partition() or 0)
            offsets[key] = max(offsets.get(key, 0), (m.offset() or 0) + 1)
        self._producer.send_offsets_to_transaction(
            [TopicPartition(t, p, o) for (t, p), o in offsets.items()],
            self._consumer.consumer_group_metadata(),
            30,
        )
        self._producer.commit_transaction(30)

    def _produce(self, out: OutRecord) -> None:
        while True:
            try:
                self._producer.produce(
                    out.topic, key=out.key, value=out.value, headers=list(out.headers.items())
                )
                return
            except BufferError:
                self._producer.poll(0.05)  # local queue full: let deliveries drain

    def _count(self, results: list[Routed]) -> None:
        self.stats.batches += 1
        for r in results:
            if r.rejected is not None:
                self.stats.dead_lettered += 1
                reason = r.rejected.value
                self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1
                metrics.record_dead_letter(SERVICE, reason)
                log.info("dead-lettered a record: %s", reason)
                continue
            self.stats.routed += 1
            metrics.record_event_in(SERVICE, r.sender or "other", r.event_type or "other")
            for party in r.delivered_to:
                metrics.record_event_out(SERVICE, party, r.event_type or "other")


def _in_record(m: Message[bytes, bytes]) -> InRecord:
    return InRecord(
        topic=m.topic() or "",
        partition=m.partition() or 0,
        offset=m.offset() or 0,
        key=m.key(),
        value=m.value(),
        headers=header_map(m.headers()),
    )
