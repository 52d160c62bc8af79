"""``sgbus acls`` against a real authorizer: apply twice (the second changes nothing), remove
what no longer belongs, and the grants do let each principal do its job and nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from sgbus.bus.acls import Grant, Operation, PatternType, ResourceType, desired_acls, plan
from sgbus.bus.acls.cluster import AclError, apply, current_acls, plan_for
from tests.integration.authorizer_broker import AuthorizerBroker, authorizer_broker

pytestmark = pytest.mark.integration

PARTIES = ["alpha", "bravo"]
SERVICES = ["sgbus-router", "sgbus-admin", "sgbus-watchdog", "sgbus-console", "sgbus-operator"]
USERS = [*PARTIES, *SERVICES, "intruder"]
TOPICS = [
    "sg.audit",
    "sg.deadletter",
    "sg.router.replayed",
    "sg.router.unassigned",
    *(f"sg.{p}.{box}" for p in [*PARTIES, "watchdog"] for box in ("outbox", "inbox")),
]
UNRELATED = Grant(
    "User:billing", ResourceType.TOPIC, "billing", PatternType.LITERAL, Operation.READ
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthorizerBroker]:
    with authorizer_broker(tmp_path_factory.mktemp("authorizer"), USERS) as found:
        admin = AdminClient(found.super_user())
        new = [NewTopic(t, 1, 1) for t in TOPICS]
        for future in admin.create_topics(new, request_timeout=30).values():
            future.result(30)
        producer = Producer(found.super_user())
        for topic in TOPICS:  # one record each, for the consumers to find
            producer.produce(topic, b"seed")
        producer.flush(30)
        yield found


@pytest.fixture(scope="module")
def admin(broker: AuthorizerBroker) -> AdminClient:
    return AdminClient(broker.super_user())


@pytest.fixture(scope="module")
def applied(admin: AdminClient) -> set[Grant]:
    """The bus's ACLs for a party that is gone and the two that remain, plus an unrelated ACL;
    then the apply for the two."""
    apply(admin, plan(desired_acls([*PARTIES, "charlie"]) | {UNRELATED}, set()))
    desired = desired_acls(PARTIES)
    done = apply(admin, plan_for(admin, desired))
    assert not done.add and done.remove, "the stale grants of charlie are removed"
    assert all("charlie" in g.name or g.principal == "User:charlie" for g in done.remove)
    return desired


def produce(conf: dict[str, Any], topic: str, **extra: Any) -> KafkaError | None:
    """Produce one record; the delivery error (None when written)."""
    errors: list[KafkaError | None] = []
    producer = Producer({**conf, "enable.idempotence": True, "acks": "all", **extra})
    try:
        producer.produce(topic, b"v", on_delivery=lambda err, _msg: errors.append(err))
        producer.flush(20)
    except KafkaException as exc:  # a principal with no WRITE anywhere gets no producer id
        return exc.args[0]
    return errors[0] if errors else KafkaError(KafkaError._TIMED_OUT)


def denied(err: KafkaError | None) -> bool:
    """True for the broker's refusal (a topic, a group, or the producer id of a principal
    that may write no topic at all)."""
    refusals = (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
    )
    return err is not None and err.code() in refusals


def consume(conf: dict[str, Any], topic: str, group: str) -> KafkaError | None:
    """Join ``group`` on ``topic`` and commit; the first error (None when allowed)."""
    consumer = Consumer(
        {**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    try:
        consumer.subscribe([topic])
        for _ in range(20):
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is not None:
                return msg.error()
            if msg is not None:
                consumer.commit(msg, asynchronous=False)
                return None
        return KafkaError(KafkaError._TIMED_OUT)
    except KafkaException as exc:
        return exc.args[0]
    finally:
        consumer.close()


def test_apply_is_idempotent_and_keeps_unrelated_acls(
    admin: AdminClient, applied: set[Grant]
) -> None:
    current = current_acls(admin)
    assert applied <= current
    assert UNRELATED in current
    assert plan_for(admin, applied).is_empty()
    assert apply(admin, plan_for(admin, applied)).is_empty()


def test_a_party_writes_its_outbox_and_reads_its_inbox(
    broker: AuthorizerBroker, applied: set[Grant]
) -> None:
    alpha = broker.as_user("alpha")
    assert produce(alpha, "sg.alpha.outbox") is None
    assert produce(broker.super_user(), "sg.alpha.inbox") is None
    assert consume(alpha, "sg.alpha.inbox", "sgbus-department-alpha") is None
    assert consume(alpha, "sg.alpha.inbox", "alpha.tool") is None


def test_a_party_cannot_touch_another_partys_topics_or_groups(
    broker: AuthorizerBroker, applied: set[Grant]
) -> None:
    alpha = broker.as_user("alpha")
    denied = KafkaError.TOPIC_AUTHORIZATION_FAILED
    for topic in ("sg.bravo.outbox", "sg.bravo.inbox", "sg.audit"):
        err = produce(alpha, topic)
        assert err is not None and err.code() == denied, topic
    err = consume(alpha, "sg.bravo.inbox", "sgbus-department-alpha")
    assert err is not None and err.code() == denied
    err = consume(alpha, "sg.alpha.inbox", "sgbus-department-bravo")
    assert err is not None and err.code() == KafkaError.GROUP_AUTHORIZATION_FAILED


def test_nobody_else_gets_anything(broker: AuthorizerBroker, applied: set[Grant]) -> None:
    intruder = broker.as_user("intruder")
    assert denied(produce(intruder, "sg.alpha.outbox"))
    assert denied(consume(intruder, "sg.alpha.inbox", "intruder.x"))


def test_the_router_routes_in_a_transaction(broker: AuthorizerBroker, applied: set[Grant]) -> None:
    router = broker.as_user("sgbus-router")
    assert produce(broker.as_user("bravo"), "sg.bravo.outbox") is None
    consumer = Consumer(
        {
            **router,
            "group.id": "sgbus-router",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    producer = Producer({**router, "transactional.id": f"sgbus-router-{uuid.uuid4().hex[:6]}"})
    try:
        consumer.subscribe(["sg.bravo.outbox"])
        msg = next(m for m in iter(lambda: consumer.poll(1.0), 0) if m is not None)
        assert msg.error() is None, msg.error()
        producer.init_transactions(20)
        producer.begin_transaction()
        for topic in ("sg.alpha.inbox", "sg.audit"):
            producer.produce(topic, msg.value())
        offsets = [TopicPartition(msg.topic(), msg.partition(), msg.offset() + 1)]
        producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), 20)
        producer.commit_transaction(20)
    finally:
        consumer.close()
    err = produce(router, "sg.alpha.outbox")
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_admin_creates_topics_but_reads_no_events(
    broker: AuthorizerBroker, applied: set[Grant]
) -> None:
    admin = AdminClient(broker.as_user("sgbus-admin"))
    for future in admin.create_topics([NewTopic("sg.extra", 1, 1)], request_timeout=20).values():
        future.result(20)
    assert applied <= current_acls(admin)  # may list ACLs
    assert denied(produce(broker.as_user("sgbus-admin"), "sg.audit"))
    assert denied(consume(broker.as_user("sgbus-admin"), "sg.audit", "sgbus-admin-lag"))


FLOWS = [
    ("sgbus-watchdog", "sg.audit", "sgbus-watchdog", True),
    ("sgbus-watchdog", "sg.watchdog.outbox", None, True),
    ("sgbus-watchdog", "sg.alpha.outbox", None, False),
    ("sgbus-watchdog", "sg.alpha.inbox", "sgbus-watchdog", False),
    ("sgbus-console", "sg.alpha.outbox", None, True),
    ("sgbus-console", "sg.watchdog.outbox", None, False),
    ("sgbus-console", "sg.alpha.inbox", None, False),
    ("sgbus-console", "sg.audit", "sgbus-console-ui", True),
    ("sgbus-console", "sg.alpha.inbox", "sgbus-console-ui", False),
    ("sgbus-operator", "sg.deadletter", "sgbus-operator-replay", True),
    ("sgbus-operator", "sg.watchdog.outbox", None, True),
    ("sgbus-operator", "sg.alpha.inbox", None, False),
    ("sgbus-operator", "sg.deadletter", "sgbus-router", False),
    ("sgbus-router", "sg.audit", "sgbus-router", False),
    ("alpha", "sg.audit", "alpha.x", False),
    ("alpha", "sg.deadletter", None, False),
]


@pytest.mark.parametrize(("user", "topic", "group", "allowed"), FLOWS)
def test_each_service_does_its_job_and_nothing_more(
    broker: AuthorizerBroker,
    applied: set[Grant],
    user: str,
    topic: str,
    group: str | None,
    allowed: bool,
) -> None:
    """Reads (with ``group``) or writes (without) ``topic`` as ``user``."""
    conf = broker.as_user(user)
    err = consume(conf, topic, group) if group else produce(conf, topic)
    assert (err is None) if allowed else denied(err), err


def test_a_principal_without_cluster_rights_gets_advice(
    broker: AuthorizerBroker, applied: set[Grant]
) -> None:
    with pytest.raises(AclError, match="sgbus-admin"):
        current_acls(AdminClient(broker.as_user("alpha")))
