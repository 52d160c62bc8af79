"""Reading topics from the start to their current end (tools, tests, the demo summary)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaException,
    Message,
    TopicPartition,
)

from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_consumer
from sgbus.bus.settings import Settings
from sgbus.runtime.backoff import Backoff
from sgbus.runtime.faults import is_transient


@dataclass(frozen=True)
class Read:
    """One committed record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]
    #: The record's timestamp in milliseconds (None when the broker gives none).
    timestamp_ms: int | None = None


def reader_group(settings: Settings) -> str:
    """A throw-away group id under the principal's own group prefix (which its ACLs allow)."""
    return f"{settings.principal or 'sgbus'}.reader-{uuid.uuid4()}"


def read_to_end(settings: Settings, topics: Iterable[str], timeout_s: float = 60) -> Iterator[Read]:
    """Every committed record of ``topics`` up to their end as of the call (missing topics
    are skipped). Raises TimeoutError if the end is not reached in time."""
    consumer = make_consumer(settings, reader_group(settings))
    deadline = time.monotonic() + timeout_s
    try:
        ends = _ends(consumer, topics, deadline)
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in ends])
        while ends:
            if time.monotonic() > deadline:
                raise TimeoutError(f"end of {sorted({t for t, _ in ends})} not reached")
            for m in consumer.consume(1000, timeout=0.5):
                if m.error() is None:
                    yield Read(
                        m.topic() or "",
                        m.partition() or 0,
                        m.offset() or 0,
                        m.key(),
                        m.value(),
                        header_map(m.headers()),
                        timestamp_ms(m),
                    )
            for tp in consumer.position([TopicPartition(t, p) for t, p in ends]):
                if tp.offset >= ends[(tp.topic, tp.partition)]:
                    del ends[(tp.topic, tp.partition)]
    finally:
        consumer.close()


def timestamp_ms(m: Message) -> int | None:
    """A consumed record's timestamp in milliseconds, or None when the broker gave none."""
    kind, ms = m.timestamp()
    return ms if kind != TIMESTAMP_NOT_AVAILABLE and ms > 0 else None


def _ends(consumer: Consumer, topics: Iterable[str], deadline: float) -> dict[tuple[str, int], int]:
    meta = consumer.list_topics(timeout=30).topics
    ends = {}
    for topic in topics:
        if topic not in meta:
            continue
        for p in meta[topic].partitions:
            high = _high_watermark(consumer, TopicPartition(topic, p), deadline)
            if high > 0:
                ends[(topic, p)] = high
    return ends


def _high_watermark(consumer: Consumer, tp: TopicPartition, deadline: float) -> int:
    # A broker that has just started or failed over answers "not leader" or "load in
    # progress" for a few seconds: that is waited out, up to the read's own deadline.
    backoff = Backoff(initial_s=0.2, maximum_s=2.0)
    while True:
        try:
            return int(consumer.get_watermark_offsets(tp, timeout=30)[1])
        except KafkaException as exc:
            if not is_transient(exc) or time.monotonic() > deadline:
                raise
            time.sleep(backoff.next_delay())
