"""Consumer lag per group, topic and partition: records written but not yet consumed.

Lag is sampled in the background (:mod:`sgbus.monitoring.lag_sampler`) and served from the
last sample at scrape time, so a slow broker never makes a scrape hang. Three ways to read
offsets, for the three kinds of consumer in sgbus:

* :class:`ConsumerOffsetReader` — a service's own consumer: its assigned partitions, committed
  offsets from Kafka (router, department service). Each instance reports its own partitions,
  so summing over instances gives the group.
* the same reader with ``committed=`` :func:`sql_committed` — consumers that keep their offsets
  in the SQL store with their state (watchdog): Kafka's committed offsets would be stale.
* :class:`AdminOffsetReader` — any group, from outside (an operator's monitoring process).
* :class:`LagSnapshot` — what the services use for their own lag: recorded by the service's
  loop from its consumer's local state, so the sampler never touches a busy consumer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import OffsetSpec
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, select

from sgbus.bus.store.tables import consumer_offsets

TP = tuple[str, int]
CommittedFn = Callable[[Sequence[TP]], Mapping[TP, int | None]]

LAG_METRIC = "sgbus_consumer_lag_records"


@dataclass(frozen=True)
class PartitionOffsets:
    """Offsets of one partition as seen by one group.

    ``committed`` is the next offset the group will read, or None when it has committed
    nothing; ``low``/``high`` are the first retained offset and the next offset to be written.
    """

    topic: str
    partition: int
    committed: int | None
    low: int
    high: int


def lag_of(p: PartitionOffsets) -> int:
    """Records the group has still to read in this partition.

    Without a committed offset the group starts at the earliest retained record (our
    consumers use ``auto.offset.reset=earliest``), so everything retained counts; a committed
    offset below ``low`` means the records in between were deleted by retention and can no
    longer be read.
    """
    start = p.low if p.committed is None or p.committed < 0 else max(p.committed, p.low)
    return max(0, p.high - start)


class OffsetReader(Protocol):
    """Something that can report the offsets of one group's partitions."""

    def sample(self) -> list[PartitionOffsets]:
        """Read the offsets now (network I/O); raise on failure."""
        ...


@dataclass(frozen=True)
class _Sample:
    taken_at: float
    partitions: tuple[PartitionOffsets, ...]


class ConsumerLagCollector(Collector):
    """Serves the latest lag sample of each group; samples older than ``max_age`` are dropped,
    so a group whose sampling keeps failing disappears instead of showing a frozen lag."""

    def __init__(self, max_age: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._samples: dict[str, _Sample] = {}
        self._max_age = max_age
        self._clock = clock

    def update(self, group: str, partitions: Sequence[PartitionOffsets]) -> None:
        """Replace ``group``'s sample (partitions no longer assigned vanish with it)."""
        with self._lock:
            self._samples[group] = _Sample(self._clock(), tuple(partitions))

    def lags(self) -> dict[tuple[str, str, int], int]:
        """Current lag by (group, topic, partition), from samples still fresh."""
        now = self._clock()
        with self._lock:
            fresh = {g: s for g, s in self._samples.items() if now - s.taken_at <= self._max_age}
        return {
            (g, p.topic, p.partition): lag_of(p)
            for g, s in sorted(fresh.items())
            for p in s.partitions
        }

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Declare the metric without sampling (lets the registry check for name clashes)."""
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The metric family with one sample per (group, topic, partition)."""
        family = self._family()
        for (group, topic, partition), lag in self.lags().items():
            family.add_metric([group, topic, str(partition)], lag)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            LAG_METRIC,
            "Records written to a partition that the consumer group has not yet consumed.",
            labels=["group", "topic", "partition"],
        )


# -- readers (network / database I/O) ------------------------------------------------------


class ConsumerOffsetReader:
    """Offsets of a confluent-kafka ``Consumer``'s current assignment.

    ``committed`` overrides where committed offsets come from (see :func:`sql_committed`).
    """

    def __init__(
        self,
        consumer: Any,
        timeout: float = 5.0,
        committed: CommittedFn | None = None,
        cached: bool = False,
    ) -> None:
        self._consumer = consumer
        self._timeout = timeout
        self._committed = committed
        self._cached = cached

    def sample(self) -> list[PartitionOffsets]:
        """Offsets of every assigned partition."""
        tps = [(tp.topic, tp.partition) for tp in self._consumer.assignment()]
        if not tps:
            return []
        committed = self._committed(tps) if self._committed else self._kafka_committed(tps)
        out = []
        for topic, partition in tps:
            low, high = self._consumer.get_watermark_offsets(
                _tp(topic, partition), timeout=self._timeout, cached=self._cached
            )
            out.append(
                PartitionOffsets(topic, partition, committed.get((topic, partition)), low, high)
            )
        return out

    def _kafka_committed(self, tps: Sequence[TP]) -> dict[TP, int | None]:
        found = self._consumer.committed([_tp(t, p) for t, p in tps], timeout=self._timeout)
        return {(tp.topic, tp.partition): _offset_or_none(tp.offset) for tp in found}


class AdminOffsetReader:
    """Offsets of every partition a group has committed, read with an ``AdminClient``."""

    def __init__(self, admin: Any, group: str, timeout: float = 10.0) -> None:
        self._admin = admin
        self._group = group
        self._timeout = timeout

    def sample(self) -> list[PartitionOffsets]:
        """Offsets of the group's committed partitions."""
        futures = self._admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(self._group)], request_timeout=self._timeout
        )
        result = futures[self._group].result(timeout=self._timeout)
        committed = {
            (tp.topic, tp.partition): _offset_or_none(tp.offset)
            for tp in result.topic_partitions or []
        }
        if not committed:
            return []
        ends: dict[str, dict[TP, int]] = {}
        for spec_name, spec in (("low", _EARLIEST), ("high", _LATEST)):
            fs = self._admin.list_offsets(
                {_tp(t, p): spec for t, p in committed}, request_timeout=self._timeout
            )
            ends[spec_name] = {
                (tp.topic, tp.partition): f.result(timeout=self._timeout).offset
                for tp, f in fs.items()
            }
        return [
            PartitionOffsets(t, p, c, ends["low"][(t, p)], ends["high"][(t, p)])
            for (t, p), c in sorted(committed.items())
        ]


def sql_committed(engine: Engine, group: str) -> CommittedFn:
    """Committed offsets of ``group`` from the store's ``consumer_offsets`` table."""

    def read(tps: Sequence[TP]) -> dict[TP, int | None]:
        wanted = set(tps)
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    consumer_offsets.c.topic,
                    consumer_offsets.c.partition,
                    consumer_offsets.c.next_offset,
                ).where(consumer_offsets.c.group_id == group)
            ).all()
        return {(t, p): int(o) for t, p, o in rows if (t, p) in wanted}

    return read


# confluent-kafka leaves these two factory methods unannotated.
_EARLIEST: OffsetSpec = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
_LATEST: OffsetSpec = OffsetSpec.latest()  # type: ignore[no-untyped-call]


def _tp(topic: str, partition: int) -> TopicPartition:
    return TopicPartition(topic, partition)


def _offset_or_none(offset: int) -> int | None:
    # librdkafka reports "no committed offset" as a negative logical offset (OFFSET_INVALID).
    return offset if offset >= 0 else None


class LagSnapshot:
    """A service's own lag, sampled on its own thread between batches, read by the sampler.

    confluent-kafka's consumer serialises calls on one handle: a reader thread asking for the
    assignment or watermarks waited behind the service's back-to-back ``consume`` calls for
    30–90 s, and an admin client's group-offsets request was seen aborting the process
    across a broker restart. So the service itself records, every ``interval_s``, what its
    consumer already knows locally — assigned partitions, their positions and the high
    watermarks from the last fetch — with no broker request, and the sampler thread only
    reads the last record.
    """

    def __init__(self, interval_s: float = 15.0) -> None:
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._offsets: list[PartitionOffsets] = []
        self._taken_at: float | None = None

    def due(self) -> bool:
        """Whether the next record is due."""
        return self._taken_at is None or time.monotonic() - self._taken_at >= self.interval_s

    def record_from(self, consumer: Any) -> None:
        """Record the consumer's local view: position (next record to consume) and cached
        high watermark per assigned partition. Never waits on the broker."""
        assigned = consumer.assignment()
        positions = consumer.position(assigned) if assigned else []
        offsets = []
        for tp in positions:
            low, high = consumer.get_watermark_offsets(tp, cached=True)
            if high < 0:
                continue  # no fetch answered yet for this partition
            offsets.append(
                PartitionOffsets(
                    tp.topic, tp.partition, _offset_or_none(tp.offset), max(low, 0), high
                )
            )
        with self._lock:
            self._offsets = offsets
            self._taken_at = time.monotonic()

    def sample(self) -> list[PartitionOffsets]:
        """The last record (the :class:`OffsetReader` the lag sampler reads)."""
        with self._lock:
            return list(self._offsets)
