"""Every party proves who it is and touches only its own topics: the negative matrix of the
identity issue, and the positives, on the secured session stack (real broker with ACLs, real
registry with roles, real identity provider).

Each party acts through the credentials file the stack issued for it, used as-is, exactly as a
department's own system would.
"""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.parties import (
    AUDIT_TOPIC,
    DEAD_LETTER_TOPIC,
    connector_dead_letter_topic,
    inbox_topic,
    outbox_topic,
)
from sgbus.bus.topics import apply, desired_topics
from sgbus.stack.testing import StackEndpoints

PARTIES = sorted(example_catalogue().parties_by_id)
DENIED_TOPIC = KafkaError.TOPIC_AUTHORIZATION_FAILED
DENIED_GROUP = KafkaError.GROUP_AUTHORIZATION_FAILED


@pytest.fixture(scope="module")
def secured(stack: StackEndpoints) -> Iterator[StackEndpoints]:
    """The session stack, which must be secured, with every party's topics in place."""
    if stack.credentials is None:
        pytest.skip("the session stack is plaintext (SGBUS_INSECURE)")
    from sgbus.bus.settings import Settings

    settings = Settings(bootstrap=stack.bootstrap)
    apply(AdminClient(stack.kafka_config()), desired_topics([*PARTIES, "watchdog"], settings))
    yield stack


def kafka_of(stack: StackEndpoints, party: str, **extra: Any) -> dict[str, Any]:
    """The party's issued librdkafka settings, as-is, plus ``extra``."""
    return {**stack.credentials_of(party).kafka, **extra}


def delivery_errors(conf: dict[str, Any], topics: list[str]) -> dict[str, int | None]:
    """Produce one record to each topic; the error code each delivery ended with."""
    # The caller's timeout wins: a refused client waits it out in full.
    producer = Producer({"message.timeout.ms": 20_000, "acks": "all", **conf})
    outcome: dict[str, int | None] = {}

    def record(err: KafkaError | None, msg: Any) -> None:
        outcome[msg.topic()] = None if err is None else err.code()

    for topic in topics:
        producer.produce(topic, b"matrix", on_delivery=record)
    producer.flush(30)
    return outcome


def group_errors(stack: StackEndpoints, party: str, groups: list[str]) -> dict[str, int | None]:
    """Join each of ``groups`` as ``party`` (subscribing to its own inbox); the error each
    join ended with (None: joined)."""
    consumers = {}
    for group in groups:
        c = Consumer(kafka_of(stack, party, **{"group.id": group, "session.timeout.ms": 6000}))
        c.subscribe([inbox_topic(party)])
        consumers[group] = c
    outcome: dict[str, int | None] = {}
    deadline = time.monotonic() + 30
    try:
        while len(outcome) < len(groups) and time.monotonic() < deadline:
            for group, c in consumers.items():
                if group in outcome:
                    continue
                msg = c.poll(0.1)
                if msg is not None and msg.error() is not None:
                    outcome[group] = msg.error().code()
                elif c.assignment():
                    outcome[group] = None
    finally:
        for c in consumers.values():
            c.close()
    return outcome


def read_errors(stack: StackEndpoints, party: str, topics: list[str]) -> dict[str, int | None]:
    """Subscribe to ``topics`` as ``party`` (in a group of its own prefix) and read from the
    start; the error each topic ended with (None: a record was read)."""
    conf = {"group.id": f"{party}.matrix-{uuid.uuid4()}", "auto.offset.reset": "earliest"}
    consumer = Consumer(kafka_of(stack, party, **conf))
    consumer.subscribe(topics)
    outcome: dict[str, int | None] = {}
    deadline = time.monotonic() + 30
    try:
        while len(outcome) < len(topics) and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None or msg.topic() in outcome:
                continue
            outcome[str(msg.topic())] = None if msg.error() is None else msg.error().code()
    finally:
        consumer.close()
    return outcome


@pytest.mark.parametrize("party", PARTIES)
def test_a_party_writes_no_topic_but_its_own_outbox(secured: StackEndpoints, party: str) -> None:
    others = [p for p in PARTIES if p != party]
    foreign = [outbox_topic(p) for p in others] + [inbox_topic(p) for p in others]
    foreign += [connector_dead_letter_topic(p) for p in others]
    logs = [AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic(party)]
    outcome = delivery_errors(kafka_of(secured, party), [*foreign, *logs])
    refused = {t: code for t, code in outcome.items() if code == DENIED_TOPIC}
    assert set(refused) == {*foreign, *logs}, {t: c for t, c in outcome.items() if t not in refused}


@pytest.mark.parametrize("party", PARTIES)
def test_a_party_reads_no_inbox_but_its_own(secured: StackEndpoints, party: str) -> None:
    foreign = [inbox_topic(p) for p in PARTIES if p != party]
    outcome = read_errors(secured, party, [*foreign, AUDIT_TOPIC, outbox_topic(party)])
    assert outcome == dict.fromkeys([*foreign, AUDIT_TOPIC, outbox_topic(party)], DENIED_TOPIC)


@pytest.mark.parametrize("party", PARTIES)
def test_a_party_joins_no_group_of_another(secured: StackEndpoints, party: str) -> None:
    others = [p for p in PARTIES if p != party]
    groups = [f"sgbus-department-{p}" for p in others] + [f"{p}.console" for p in others]
    groups += ["sgbus-router", "sgbus-watchdog"]
    assert group_errors(secured, party, groups) == dict.fromkeys(groups, DENIED_GROUP)


@pytest.mark.parametrize("party", PARTIES)
def test_a_party_administers_nothing(secured: StackEndpoints, party: str) -> None:
    admin = AdminClient(kafka_of(secured, party))
    created = admin.create_topics([NewTopic(f"sg.{party}.extra", 1, 1)])
    with pytest.raises(KafkaException) as caught:
        next(iter(created.values())).result(timeout=30)
    assert caught.value.args[0].code() in (DENIED_TOPIC, KafkaError.CLUSTER_AUTHORIZATION_FAILED)
    for topic in (AUDIT_TOPIC, outbox_topic(party)):
        shorter = ConfigResource(
            "topic",
            topic,
            incremental_configs=[
                ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)
            ],
        )
        altered = admin.incremental_alter_configs([shorter])
        with pytest.raises(KafkaException) as caught:
            next(iter(altered.values())).result(timeout=30)
        assert caught.value.args[0].code() == DENIED_TOPIC, topic


@pytest.mark.parametrize("party", PARTIES)
def test_a_party_only_reads_the_registry(secured: StackEndpoints, party: str) -> None:
    client = SchemaRegistryClient(secured.credentials_of(party).schema_registry)
    subjects = client.get_subjects()
    assert "sgbus.events.ApprovalResult" in subjects  # reading: allowed
    record = '{"type":"record","name":"Forged","fields":[{"name":"a","type":"int"}]}'
    attempts = {
        "register": lambda: client.register_schema("sgbus.events.Forged", Schema(record, "AVRO")),
        "compatibility": lambda: client.set_compatibility("sgbus.events.ApprovalResult", "NONE"),
        "delete": lambda: client.delete_subject("sgbus.events.ApprovalResult", permanent=True),
    }
    for what, attempt in attempts.items():
        with pytest.raises(SchemaRegistryError) as caught:
            attempt()
        assert caught.value.http_status_code == 403, what
    assert "sgbus.events.ApprovalResult" in client.get_subjects()


@pytest.mark.parametrize("party", PARTIES)
def test_a_party_writes_its_outbox_and_reads_its_inbox(secured: StackEndpoints, party: str) -> None:
    assert delivery_errors(kafka_of(secured, party), [outbox_topic(party)]) == {
        outbox_topic(party): None
    }
    # Something to read: the test inspector (a super user) writes into the party's inbox.
    assert delivery_errors(secured.kafka_config(), [inbox_topic(party)]) == {
        inbox_topic(party): None
    }
    assert read_errors(secured, party, [inbox_topic(party)]) == {inbox_topic(party): None}
    assert group_errors(secured, party, [f"sgbus-department-{party}", f"{party}.own"]) == {
        f"sgbus-department-{party}": None,
        f"{party}.own": None,
    }


def test_an_anonymous_client_gets_nothing(secured: StackEndpoints) -> None:
    tls_only = {
        "bootstrap.servers": secured.bootstrap,
        "security.protocol": "SSL",
        "ssl.ca.pem": secured.credentials_of(PARTIES[0]).kafka["ssl.ca.pem"],
    }
    plaintext = {"bootstrap.servers": secured.bootstrap}
    for conf in (tls_only, plaintext):
        outcome = delivery_errors({**conf, "message.timeout.ms": 5000}, [outbox_topic(PARTIES[0])])
        assert outcome[outbox_topic(PARTIES[0])] is not None
    forged = {
        **tls_only,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "OAUTHBEARER",
        # An unsigned token naming the approval bureau: the broker checks signatures.
        "sasl.oauthbearer.config": "principalClaimName=azp principal=weihai-approval",
        "enable.sasl.oauthbearer.unsecure.jwt": True,
    }
    outcome = delivery_errors({**forged, "message.timeout.ms": 8000}, [outbox_topic(PARTIES[0])])
    assert outcome[outbox_topic(PARTIES[0])] is not None
    registry = secured.registry_config()
    verify = ssl.create_default_context(cafile=registry["ssl.ca.location"])
    anonymous = httpx.get(f"{registry['url']}/subjects", verify=verify, timeout=10)
    assert anonymous.status_code == 401
