"""``sgbus connector replay``: offer a sink's dead-lettered records to its target again.

The connector's state lists what it dead-lettered by inbox position; the records themselves
are read again from the party's inbox topic (as long as its retention keeps them), decoded,
put and flushed. A record the target takes is marked replayed; one it refuses again stays
listed, with a new dead letter of the same id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import Consumer, TopicPartition

from sgbus.bus import headers as h
from sgbus.bus.events import event_type_of
from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_consumer
from sgbus.bus.reading import reader_group
from sgbus.bus.serde import DecodeError
from sgbus.connectors.api import InboxRecord, Sink
from sgbus.connectors.runtime import Harness
from sgbus.connectors.state import Errant
from sgbus.runtime.faults import is_transient
from sgbus.runtime.reader import Msg


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did."""

    replayed: int
    refused_again: int
    gone: int  # no longer in the inbox topic (retention) or not decodable


def replay_errants(harness: Harness, *, limit: int | None = None) -> ReplayResult:
    """Offer the connector's not-yet-replayed dead letters to its sink again."""
    harness.migrate_state()
    errants = harness.state.errants()[:limit]
    if not errants:
        return ReplayResult(0, 0, 0)
    sink = harness.spec.factory(harness.config, harness.context())
    if not isinstance(sink, Sink):
        raise ValueError(f"connector {harness.spec.name!r} is a source: nothing to replay")
    sink.open()
    try:
        found = dict(_read_back(harness, errants))
        records = [found[e.dead_letter_id] for e in errants if e.dead_letter_id in found]
        sink.put(records)
        sink.flush()
        refused = {(t, p, o) for t, p, o in harness.errant.pending_positions()}
        harness.errant.flush()
    finally:
        sink.close()
    taken = [
        e.dead_letter_id
        for e in errants
        if e.dead_letter_id in found and (e.topic, e.partition, e.offset) not in refused
    ]
    harness.state.mark_replayed(taken, datetime.now(UTC))
    return ReplayResult(len(taken), len(found) - len(taken), len(errants) - len(found))


def _read_back(
    harness: Harness, errants: Sequence[Errant], timeout_s: float = 30.0
) -> Iterator[tuple[str, InboxRecord]]:
    """Each errant's record read again from its inbox position (skipped when gone)."""
    wanted = {(e.topic, e.partition, e.offset): e.dead_letter_id for e in errants}
    consumer: Consumer = make_consumer(harness.settings, reader_group(harness.settings))
    try:
        for (topic, partition, offset), dead_id in wanted.items():
            consumer.assign([TopicPartition(topic, partition, offset)])
            m = _one(consumer, timeout_s)
            if m is None or m.offset() != offset:
                continue
            try:
                event = harness.serde.decode(m.value() or b"", topic, partition, offset)
            except DecodeError as exc:
                if is_transient(exc):
                    raise
                continue
            yield (
                dead_id,
                InboxRecord(
                    event,
                    str(event.envelope.event_id),
                    event_type_of(event),
                    topic,
                    partition,
                    offset,
                    header_map(m.headers()).get(h.TRACEPARENT),
                ),
            )
    finally:
        consumer.close()


def _one(consumer: Consumer, timeout_s: float) -> Msg | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            return m
    return None
