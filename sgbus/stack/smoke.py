"""A smoke round trip through a real broker and registry: one Avro event out and back.

Used by ``sgbus demo`` and the integration tests to show the stack works end to end: the
registry-based serializer (Confluent wire format), a produce with ``acks=all``, and a consume in
a fresh consumer group.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient, record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SMOKE_TOPIC = "sgbus.smoke"
SMOKE_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "StackSmoke",
    "namespace": "sgbus.stack",
    "doc": "Test event of the local-stack smoke check; not part of the bus contracts.",
    "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "seq", "type": "long"},
        {"name": "sent_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": "string"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "score", "type": ["null", "double"], "default": None},
    ],
}
SUBJECT = "sgbus.stack.StackSmoke"


def make_event(seq: int) -> dict[str, Any]:
    """A new smoke event with a fresh id; ``sent_at`` is whole milliseconds (Avro's unit)."""
    now_ms = int(time.time() * 1000)
    return {
        "event_id": str(uuid.uuid4()),
        "seq": seq,
        "sent_at": now_ms,
        "note": "审管联动 smoke test",
        "tags": ["smoke", "本地"],
        "score": 0.5,
    }


def ensure_topic(kafka: dict[str, Any], topic: str = SMOKE_TOPIC, partitions: int = 1) -> None:
    """Create ``topic`` unless it exists (``kafka``: librdkafka settings, brokers included)."""
    admin = AdminClient(kafka)
    if topic in admin.list_topics(timeout=10).topics:
        return
    future = admin.create_topics([NewTopic(topic, partitions, 1)])[topic]
    try:
        future.result(timeout=30)
    except KafkaException as exc:
        if "TOPIC_ALREADY_EXISTS" not in str(exc):
            raise


def serializer(registry: dict[str, Any]) -> AvroSerializer:
    """Registry-based Avro serializer; subjects by record name, as the bus does."""
    client = SchemaRegistryClient(registry)
    conf = {"subject.name.strategy": record_subject_name_strategy, "auto.register.schemas": True}
    avro: AvroSerializer = AvroSerializer(client, json.dumps(SMOKE_SCHEMA), conf=conf)
    return avro


def produce_event(
    kafka: dict[str, Any], registry: dict[str, Any], event: dict[str, Any], topic: str = SMOKE_TOPIC
) -> bytes:
    """Serialize and publish ``event``; return the encoded value (wire format). ``kafka`` and
    ``registry`` are client settings (address and security)."""
    value = serializer(registry)(event, SerializationContext(topic, MessageField.VALUE))
    if value is None:
        raise RuntimeError("serializer returned nothing for the smoke event")
    producer = Producer({**kafka, "enable.idempotence": True, "acks": "all"})
    errors: list[str] = []

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    producer.produce(topic, key=event["event_id"].encode(), value=value, on_delivery=on_delivery)
    if producer.flush(30) != 0 or errors:
        raise RuntimeError(f"smoke event not delivered: {errors or 'flush timed out'}")
    return value


def consume_event(
    kafka: dict[str, Any],
    registry: dict[str, Any],
    event_id: str,
    group: str,
    topic: str = SMOKE_TOPIC,
    timeout: float = 60.0,
) -> dict[str, Any] | None:
    """Read ``topic`` from the start in consumer group ``group`` until ``event_id`` shows up."""
    deserialize = AvroDeserializer(SchemaRegistryClient(registry))
    consumer = Consumer(
        {
            **kafka,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error() is not None:
                continue
            if msg.key() != event_id.encode():
                continue
            record: dict[str, Any] = deserialize(
                msg.value(), SerializationContext(topic, MessageField.VALUE)
            )
            return record
    finally:
        consumer.close()
    return None


def differences(sent: dict[str, Any], received: dict[str, Any]) -> list[str]:
    """Field-by-field comparison; empty when equal. Timestamps compare as epoch milliseconds."""
    out = []
    for name in sorted(set(sent) | set(received)):
        a, b = sent.get(name), received.get(name)
        if isinstance(b, datetime) and isinstance(a, int):
            b = round(b.timestamp() * 1000)
        if a != b:
            out.append(f"{name}: sent {a!r}, received {b!r}")
    return out
