"""Consumer lag: the arithmetic, the collector's freshness rule, and the readers' use of clients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from confluent_kafka import TopicPartition
from prometheus_client import REGISTRY, CollectorRegistry

from sgbus.monitoring.lag import (
    AdminOffsetReader,
    ConsumerLagCollector,
    ConsumerOffsetReader,
    PartitionOffsets,
    lag_of,
)
from sgbus.monitoring.lag_sampler import LagSampler


@pytest.mark.parametrize(
    ("committed", "low", "high", "lag"),
    [
        (10, 0, 15, 5),
        (15, 0, 15, 0),
        (None, 0, 15, 15),  # nothing committed: starts at the earliest retained record
        (None, 7, 15, 8),
        (3, 7, 15, 8),  # records 3..6 deleted by retention cannot be read any more
        (20, 0, 15, 0),  # committed ahead of a stale watermark never gives negative lag
        (-1001, 2, 4, 2),  # librdkafka's OFFSET_INVALID
    ],
)
def test_lag_of(committed: int | None, low: int, high: int, lag: int) -> None:
    assert lag_of(PartitionOffsets("sg.wh-market.inbox", 0, committed, low, high)) == lag


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_collector_serves_fresh_samples_and_drops_stale_groups() -> None:
    clock = Clock()
    c = ConsumerLagCollector(max_age=60, clock=clock)
    reg = CollectorRegistry()
    reg.register(c)
    c.update(
        "sgbus-router",
        [PartitionOffsets("sg.a.outbox", 0, 5, 0, 9), PartitionOffsets("sg.a.outbox", 1, 9, 0, 9)],
    )
    clock.t += 30
    c.update("sgbus-watchdog", [PartitionOffsets("sg.audit", 2, None, 0, 4)])
    lab = {"group": "sgbus-router", "topic": "sg.a.outbox", "partition": "0"}
    assert reg.get_sample_value("sgbus_consumer_lag_records", lab) == 4
    assert c.lags() == {
        ("sgbus-router", "sg.a.outbox", 0): 4,
        ("sgbus-router", "sg.a.outbox", 1): 0,
        ("sgbus-watchdog", "sg.audit", 2): 4,
    }
    clock.t += 31  # router sample now 61 s old
    assert c.lags() == {("sgbus-watchdog", "sg.audit", 2): 4}
    assert reg.get_sample_value("sgbus_consumer_lag_records", lab) is None


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int
    offset: int = -1001


class FakeConsumer:
    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def assignment(self) -> list[TP]:
        return [TP("sg.wh-market.inbox", 0), TP("sg.wh-market.inbox", 1)]

    def committed(self, tps: Sequence[TP], timeout: float) -> list[TP]:
        self.timeouts.append(timeout)
        return [TP(t.topic, t.partition, 40 if t.partition == 0 else -1001) for t in tps]

    def get_watermark_offsets(self, tp: TP, timeout: float, cached: bool) -> tuple[int, int]:
        assert cached is False  # cached high watermarks only move when this consumer fetches
        return (0, 50) if tp.partition == 0 else (5, 12)


def test_consumer_reader_uses_kafka_committed_offsets_by_default() -> None:
    consumer = FakeConsumer()
    got = ConsumerOffsetReader(consumer, timeout=2).sample()
    assert consumer.timeouts == [2]
    assert [(p.partition, p.committed, lag_of(p)) for p in got] == [(0, 40, 10), (1, None, 7)]


def test_consumer_reader_can_take_committed_offsets_from_elsewhere() -> None:
    def from_store(tps: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
        return {tps[0]: 48}

    got = ConsumerOffsetReader(FakeConsumer(), committed=from_store).sample()
    assert [lag_of(p) for p in got] == [2, 7]


def test_sampler_keeps_going_when_one_group_fails() -> None:
    class Broken:
        def sample(self) -> list[PartitionOffsets]:
            raise RuntimeError("broker down")

    c = ConsumerLagCollector()
    errors = REGISTRY.get_sample_value("sgbus_consumer_lag_sample_errors_total", {"group": "bad"})
    LagSampler(
        {"bad": Broken(), "good": ConsumerOffsetReader(FakeConsumer())}, collector=c
    ).sample_once()
    assert {g for g, _, _ in c.lags()} == {"good"}
    after = REGISTRY.get_sample_value("sgbus_consumer_lag_sample_errors_total", {"group": "bad"})
    assert after == (errors or 0) + 1


class Done:
    def __init__(self, value: object) -> None:
        self.value = value

    def result(self, timeout: float) -> object:
        return self.value


@dataclass
class GroupResult:
    topic_partitions: list[TP]


@dataclass
class OffsetInfo:
    offset: int


class FakeAdmin:
    def list_consumer_group_offsets(self, requests: list[object], **kw: object) -> dict[str, Done]:
        group = requests[0].group_id  # type: ignore[attr-defined]
        return {group: Done(GroupResult([TP("sg.audit", 1, 30), TP("sg.audit", 0, -1001)]))}

    def list_offsets(self, specs: dict[object, object], **kw: object) -> dict[TP, Done]:
        latest = "Latest" in type(next(iter(specs.values()))).__name__
        return {
            TP(tp.topic, tp.partition): Done(OffsetInfo((40 if latest else 3) + tp.partition))
            for tp in specs  # type: ignore[attr-defined]
        }


def test_admin_reader_reports_every_partition_the_group_committed() -> None:
    got = AdminOffsetReader(FakeAdmin(), "sgbus-watchdog").sample()
    assert got == [
        PartitionOffsets("sg.audit", 0, None, 3, 40),
        PartitionOffsets("sg.audit", 1, 30, 4, 41),
    ]


class _LocalConsumer:
    """The local calls a LagSnapshot makes on a consumer; any broker request would fail."""

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("sg.a.inbox", 0), TopicPartition("sg.a.inbox", 1)]

    def position(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        offsets = {0: 7, 1: -1001}  # partition 1: nothing consumed yet
        return [TopicPartition(tp.topic, tp.partition, offsets[tp.partition]) for tp in tps]

    def get_watermark_offsets(self, tp: TopicPartition, cached: bool = False) -> tuple[int, int]:
        assert cached, "a snapshot must not ask the broker"
        return (0, 10) if tp.partition == 0 else (-1001, 4)


def test_lag_snapshot_records_the_local_view_and_serves_it_to_the_sampler() -> None:
    from sgbus.monitoring.lag import LagSnapshot, lag_of

    snap = LagSnapshot(interval_s=60)
    assert snap.due() and snap.sample() == []
    snap.record_from(_LocalConsumer())
    assert not snap.due()
    assert [lag_of(p) for p in snap.sample()] == [3, 4]
