"""Finding an event on sg.audit by case key (for ``sgbus assign``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from sgbus.bus import headers as h
from sgbus.bus.events import Event
from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_consumer
from sgbus.bus.parties import AUDIT_TOPIC
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings


def find_unassigned(
    settings: Settings,
    serde: Serde,
    case_key: str,
    progress: Callable[[int], None] = lambda _n: None,
) -> tuple[Event, bytes] | None:
    """The newest approval result of ``case_key`` that went to the unassigned pool, with its
    original bytes; None if there is none. Reads sg.audit from the start to its end."""
    consumer = make_consumer(settings, f"sgbus-lookup-{uuid.uuid4()}")
    try:
        meta = consumer.list_topics(AUDIT_TOPIC, timeout=30).topics[AUDIT_TOPIC]
        ends = {}
        for p in meta.partitions:
            _low, high = consumer.get_watermark_offsets(TopicPartition(AUDIT_TOPIC, p), timeout=30)
            if high > 0:
                ends[p] = high
        consumer.assign([TopicPartition(AUDIT_TOPIC, p, OFFSET_BEGINNING) for p in ends])
        key, found, seen = case_key.encode(), None, 0
        while ends:
            for m in consumer.consume(1000, timeout=1.0):
                if m.error():
                    continue
                seen += 1
                part, off = m.partition() or 0, m.offset() or 0
                if m.key() == key and header_map(m.headers()).get(h.UNASSIGNED) == "1":  # type: ignore[arg-type]
                    value = m.value() or b""
                    found = (serde.decode(value, AUDIT_TOPIC, part, off), value)
                if part in ends and off + 1 >= ends[part]:
                    del ends[part]
            progress(seen)
        return found
    finally:
        consumer.close()
