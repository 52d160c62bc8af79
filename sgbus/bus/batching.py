"""Taking a batch from a consumer without waiting for it to fill up.

``Consumer.consume(n, timeout)`` returns only when ``n`` messages are in hand or ``timeout``
has passed, so at a modest rate every record waited up to the whole timeout before it was
processed (the router and the department services waited 0.5 s and 1 s). Here the wait is for
the first message only; the rest of the batch is whatever has already arrived. Under load,
records pile up while a batch is processed, so batches grow by themselves and per-batch costs
(a Kafka transaction, a database commit) are shared by more records.
"""

from __future__ import annotations

from typing import Protocol

from confluent_kafka import Message


class BatchSource(Protocol):
    """The part of a confluent-kafka consumer :func:`take_batch` uses."""

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message[bytes, bytes]]:
        """Up to ``num_messages`` messages, waiting at most ``timeout`` seconds."""
        ...


def take_batch(
    consumer: BatchSource, max_records: int, timeout_s: float, fill_s: float = 0.0
) -> list[Message[bytes, bytes]]:
    """Up to ``max_records`` messages: wait up to ``timeout_s`` for the first, then take what
    is already fetched, or arrives within ``fill_s``, without waiting for the batch to fill."""
    first = consumer.consume(1, timeout_s)
    if not first or max_records <= 1:
        return first
    return first + consumer.consume(max_records - 1, fill_s)
