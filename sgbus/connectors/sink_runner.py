"""The sink runner: a party's inbox into a :class:`~sgbus.connectors.api.Sink`.

Each step reads a batch of ``sg.<party>.inbox`` (consumer group ``<party>.connector.<name>``),
hands the decodable records to ``put``, dead-letters the others, calls ``flush``, waits for
the dead letters to be acknowledged, and only then commits the batch's offsets. A transient
fault anywhere (target, broker, registry, state store) rewinds to the batch's first record and
waits with backoff: the same records are offered again, none is skipped. A stop request lets
the batch in hand finish; a kill redelivers it. The prefetch queue is kept small, so a long
outage of the target holds at most a few batches in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import TopicPartition

from sgbus.bus import headers as h
from sgbus.bus.deadletters import decode_failure_reason
from sgbus.bus.events import event_type_of
from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_consumer
from sgbus.bus.parties import inbox_topic
from sgbus.bus.serde import DecodeError
from sgbus.bus.store.offsets import next_offsets_of
from sgbus.connectors.api import InboxRecord, Sink
from sgbus.connectors.runtime import Harness, log
from sgbus.monitoring import metrics
from sgbus.monitoring.lag import lag_of
from sgbus.runtime.faults import Fault, TransientError, is_transient
from sgbus.runtime.reader import BatchReader, Msg

#: librdkafka's prefetch bound per partition (KiB); the default (64 MiB) would let a long
#: outage of the target fill memory with records that cannot be delivered yet.
PREFETCH_KIB = 4096


def group_id(party: str, name: str) -> str:
    """The consumer group of a party's sink connector (within the party's own prefix)."""
    return f"{party}.connector.{name}"


class SinkRunner:
    """Runs one sink connector until stopped."""

    def __init__(self, harness: Harness, sink: Sink[Any]) -> None:
        self.h = harness
        self.sink = sink
        self.inbox = inbox_topic(harness.party)
        self.group = group_id(harness.party, harness.name)
        self.consumer = make_consumer(
            harness.settings,
            self.group,
            **{
                "queued.max.messages.kbytes": PREFETCH_KIB,
                # Static membership: a restarted process gets its partitions back at once
                # instead of after the session timeout, and a second process started with the
                # same configuration is fenced instead of splitting the inbox with the first.
                "group.instance.id": self.group,
            },
        )
        batch = harness.config.batch_size
        self.reader = BatchReader(self.consumer, batch, 1.0, probe_topic=self.inbox)
        self._unapplied: list[Msg] = []
        self.delivered = 0

    def run(self) -> None:
        """Deliver until the stop event is set; the batch in hand finishes first."""
        self.h.start()
        loop = self.h.loop()
        try:
            if loop.until_done(self._open) is not None:
                log.info("sink connector started", connector=self.h.name, group=self.group)
                loop.run(self.step, self._on_fault)
        finally:
            self.h.close(self.sink.close, self.consumer.close)

    def _open(self) -> bool:
        self.h.migrate_state()
        self.sink.open()
        self.reader.subscribe([self.inbox])
        return True

    def step(self) -> int:
        """Read, deliver and commit one batch; the number of records the target took."""
        taken = self.reader.take()
        metrics.set_connector_lag(self.h.name, _lag(self.reader))
        if taken.rebalanced:
            self.reader.rewind_to_committed()
            return 0
        if not taken.records:
            return 0
        self._unapplied = taken.records
        records = self._decode(taken.records)
        if records:
            self.sink.put(records)
        self.sink.flush()
        self.h.errant.flush()
        self._commit(taken.records)
        self._unapplied = []
        refused = len(taken.records) - len(records)
        metrics.record_connector_batch(self.h.name, self.h.party, len(taken.records), len(records))
        self.delivered += len(records)
        log.info(
            "batch delivered",
            connector=self.h.name,
            records=len(taken.records),
            dead_lettered=refused + self.h.errant.pending,
        )
        return len(records)

    def _on_fault(self, fault: Fault) -> None:
        self.h.on_fault(fault)
        if self._unapplied:
            self.reader.rewind([self._unapplied])
            self._unapplied = []

    def _commit(self, records: Sequence[Msg]) -> None:
        positions = [(m.topic() or "", m.partition() or 0, m.offset() or 0) for m in records]
        offsets = [TopicPartition(t, p, o) for (t, p), o in next_offsets_of(positions).items()]
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except Exception as exc:
            if is_transient(exc):
                raise
            # A rebalance took the partitions: the new owner redelivers from the last commit.
            raise TransientError("broker", f"offsets not committed: {exc}") from exc

    def _decode(self, records: Sequence[Msg]) -> list[InboxRecord]:
        out: list[InboxRecord] = []
        for m in records:
            topic, partition, offset = m.topic() or "", m.partition() or 0, m.offset() or 0
            try:
                event = self.h.serde.decode(m.value() or b"", topic, partition, offset)
            except DecodeError as exc:
                if is_transient(exc):
                    raise
                code = decode_failure_reason(exc).value
                self.h.errant.report_undecodable(
                    topic, partition, offset, m.key(), exc.reason, code
                )
                continue
            out.append(
                InboxRecord(
                    event,
                    str(event.envelope.event_id),
                    event_type_of(event),
                    topic,
                    partition,
                    offset,
                    header_map(m.headers()).get(h.TRACEPARENT),
                )
            )
        return out


def _lag(reader: BatchReader) -> int:
    """The inbox lag as the reader last recorded it (no broker request)."""
    return sum(lag_of(p) for p in reader.lag.sample())


def run_sink(harness: Harness, stop: threading.Event | None = None) -> SinkRunner:
    """Build the sink of ``harness`` and run it until stopped."""
    if stop is not None:
        harness.stop = stop
    sink = harness.spec.factory(harness.config, harness.context())
    assert isinstance(sink, Sink)
    runner = SinkRunner(harness, sink)
    runner.run()
    return runner
