"""Contracts on the real stack: registration and compatibility in the registry, and every golden
event across a real Kafka topic through the serde the stack implies."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from sgbus.bus.contracts.gate import check_registry, register_all
from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events import EVENT_CLASSES
from sgbus.bus.serde import build_serde
from tests.golden_data import golden_event
from tests.kafka_conf import client_conf

pytestmark = pytest.mark.integration


@pytest.fixture
def bus_stack(request: pytest.FixtureRequest) -> Any:
    # The `stack` session fixture lives in tests/conftest.py; without it there is nothing to test.
    try:
        return request.getfixturevalue("stack")
    except pytest.FixtureLookupError:
        pytest.skip("needs the `stack` fixture (tests/conftest.py)")


@pytest.fixture
def registry(bus_stack: Any) -> Any:
    if not bus_stack.schema_registry:
        pytest.skip("the stack runs without a schema registry (single-object encoding)")
    from confluent_kafka.schema_registry import SchemaRegistryClient

    return SchemaRegistryClient.new_client(bus_stack.registry_config())


def test_register_then_check_against_the_registry(registry: Any, bus_stack: Any) -> None:
    schema_set = SchemaSet.load()
    registered = register_all(schema_set, registry)
    assert registered.ok, registered.errors
    assert set(registry.get_subjects()) >= {
        schema_set.get(n).fullname for n in schema_set.event_names
    }
    assert register_all(schema_set, registry).ok  # registering the same schemas again is harmless
    assert check_registry(schema_set, registry).ok

    from sgbus.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["schemas", "check", "--registry", bus_stack.schema_registry])
    assert result.exit_code == 0, result.output


def test_registry_refuses_a_breaking_change(registry: Any) -> None:
    from confluent_kafka.schema_registry import Schema

    schema_set = SchemaSet.load()
    register_all(schema_set, registry)
    subject = "sgbus.events.Claim"
    try:
        level = registry.get_compatibility(subject)
    except Exception as exc:  # some registries have no per-subject config endpoint
        pytest.skip(f"registry has no per-subject compatibility: {exc}")
    if "FULL" not in str(level) and "BACKWARD" not in str(level):
        pytest.skip(f"registry compatibility is {level}")
    broken = schema_set.expand("Claim")
    broken["fields"].append({"name": "channel", "type": "string"})
    assert registry.test_compatibility(subject, Schema(json.dumps(broken), "AVRO")) is False


def test_every_golden_event_crosses_kafka(bus_stack: Any) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"sg.contracts-{uuid.uuid4().hex[:8]}.outbox"
    admin = AdminClient(bus_stack.kafka_config())
    for future in admin.create_topics(
        [NewTopic(topic, num_partitions=1, replication_factor=1)]
    ).values():
        future.result(timeout=30)

    producer_serde = build_serde(bus_stack.registry_config())
    producer = Producer({**bus_stack.kafka_config(), "enable.idempotence": True})
    for name in sorted(EVENT_CLASSES):
        event = golden_event(name)
        producer.produce(
            topic, key=event.envelope.case_key.encode(), value=producer_serde.encode(event, topic)
        )
    assert producer.flush(30) == 0

    # A separate reader: ids from the registry.
    consumer_serde = build_serde(bus_stack.registry_config())
    consumer = Consumer(
        {
            **client_conf(bus_stack.bootstrap),
            "group.id": f"contracts-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    seen: dict[str, Any] = {}
    try:
        for _ in range(200):
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                if len(seen) == len(EVENT_CLASSES):
                    break
                continue
            event = consumer_serde.decode(msg.value(), msg.topic(), msg.partition(), msg.offset())
            seen[type(event).__name__] = event
    finally:
        consumer.close()
    assert sorted(seen) == sorted(EVENT_CLASSES)
    for name, event in seen.items():
        assert event == golden_event(name)
