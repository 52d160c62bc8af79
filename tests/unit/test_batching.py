"""Taking a batch waits for the first record only, then takes what is already there."""

from __future__ import annotations

from typing import Any

from sgbus.bus.batching import take_batch


class FakeConsumer:
    """Holds ``ready`` messages; records the (n, timeout) of every consume call."""

    def __init__(self, ready: int) -> None:
        self.ready = list(range(ready))
        self.calls: list[tuple[int, float]] = []

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:
        self.calls.append((num_messages, timeout))
        out, self.ready = self.ready[:num_messages], self.ready[num_messages:]
        return out


def test_waits_for_the_first_record_only_then_takes_the_rest_without_waiting() -> None:
    consumer = FakeConsumer(ready=7)
    assert take_batch(consumer, 500, timeout_s=0.5) == list(range(7))  # type: ignore[arg-type]
    assert consumer.calls == [(1, 0.5), (499, 0.0)]


def test_never_takes_more_than_the_batch_size() -> None:
    consumer = FakeConsumer(ready=1200)
    assert len(take_batch(consumer, 500, timeout_s=0.5, fill_s=0.01)) == 500  # type: ignore[arg-type]
    assert consumer.calls == [(1, 0.5), (499, 0.01)]


def test_nothing_there_means_one_wait_and_an_empty_batch() -> None:
    consumer = FakeConsumer(ready=0)
    assert take_batch(consumer, 500, timeout_s=0.5) == []  # type: ignore[arg-type]
    assert consumer.calls == [(1, 0.5)]


def test_a_batch_size_of_one_asks_once() -> None:
    consumer = FakeConsumer(ready=3)
    assert take_batch(consumer, 1, timeout_s=0.2) == [0]  # type: ignore[arg-type]
    assert consumer.calls == [(1, 0.2)]
