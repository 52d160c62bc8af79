"""The batch reader flags a batch read across a consumer-group rebalance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import TopicPartition

from sgbus.runtime.reader import BatchReader


class FakeMessage:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "sg.x.outbox"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset


class RebalancingConsumer:
    """Calls the assignment callback inside the n-th ``consume`` call, as librdkafka does."""

    def __init__(self, rebalance_on_call: int) -> None:
        self.callbacks: dict[str, Callable[[Any, list[TopicPartition]], None]] = {}
        self.calls = 0
        self.rebalance_on_call = rebalance_on_call

    def subscribe(self, topics: list[str], **callbacks: Any) -> None:
        self.callbacks = callbacks

    def assignment(self) -> list[TopicPartition]:
        return []  # the reader's lag record finds nothing assigned

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[FakeMessage]:
        self.calls += 1
        if self.calls == self.rebalance_on_call:
            self.callbacks["on_assign"](self, [TopicPartition("sg.x.outbox", 0)])
        return [FakeMessage(self.calls)]


def test_a_batch_read_across_a_rebalance_is_flagged() -> None:
    consumer = RebalancingConsumer(rebalance_on_call=2)  # the second consume of the first batch
    reader = BatchReader(consumer, batch_size=10, poll_timeout_s=0.1)  # type: ignore[arg-type]
    reader.subscribe(["^sg\\..+\\.outbox$"])
    first, second = reader.take(), reader.take()
    assert first.rebalanced and len(first.records) == 2
    assert not second.rebalanced
