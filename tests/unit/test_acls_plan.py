"""The ACL plan: what is added, what is removed, what is never touched, and how it reads."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any, cast

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
)
from confluent_kafka.admin import ResourceType as KafkaResourceType

from sgbus.bus.acls import (
    AclPlan,
    Grant,
    Operation,
    PatternType,
    Permission,
    ResourceType,
    Scope,
    desired_acls,
    plan,
)
from sgbus.bus.acls.cluster import (
    AclError,
    current_acls,
    error_message,
    from_binding,
    to_binding,
    to_filter,
)

TOPIC, GROUP, TXN = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID
CLUSTER = ResourceType.CLUSTER
READ, WRITE = Operation.READ, Operation.WRITE
LITERAL, PREFIXED = PatternType.LITERAL, PatternType.PREFIXED


def test_empty_cluster_gets_every_grant_and_loses_nothing() -> None:
    desired = desired_acls(["wh-a", "wh-b"])
    todo = plan(desired, set())
    assert todo.add == desired and not todo.remove


def test_second_plan_is_empty() -> None:
    desired = desired_acls(["wh-a", "wh-b"])
    assert plan(desired, desired).is_empty()
    assert plan(desired, desired).describe() == []


def test_a_removed_party_loses_every_grant_it_had() -> None:
    before = desired_acls(["wh-a", "wh-b", "wh-old"])
    after = desired_acls(["wh-a", "wh-b"])
    todo = plan(after, before)
    assert not todo.add
    assert todo.remove == before - after
    removed = {(g.principal, g.resource_type, g.name) for g in todo.remove}
    # its own principal's groups and transactional ids (prefix "wh-old."), not only topics
    assert ("User:wh-old", GROUP, "wh-old.") in removed
    assert ("User:wh-old", TXN, "wh-old.") in removed
    assert ("User:wh-old", GROUP, "sgbus-department-wh-old") in removed
    # and the services' grants on its topics
    assert ("User:sgbus-router", TOPIC, "sg.wh-old.outbox") in removed
    assert ("User:sgbus-console", TOPIC, "sg.wh-old.outbox") in removed
    assert ("User:sgbus-admin", GROUP, "wh-old.") in removed


UNRELATED = {
    Grant("User:billing", TOPIC, "billing.events", LITERAL, WRITE),
    Grant("User:billing", GROUP, "billing.", PREFIXED, READ),
    Grant("User:billing", TXN, "billing-tx", PREFIXED, WRITE),
    Grant("User:billing", CLUSTER, "kafka-cluster", LITERAL, Operation.DESCRIBE),
    Grant("User:*", TOPIC, "public.", PREFIXED, READ),
    Grant("User:ops", TOPIC, "*", LITERAL, Operation.DESCRIBE),
    Grant("User:ops", CLUSTER, "kafka-cluster", LITERAL, Operation.ALTER),
}


def test_unrelated_acls_are_left_alone() -> None:
    desired = desired_acls(["wh-a"])
    todo = plan(desired, desired | UNRELATED)
    assert todo.is_empty()
    scope = Scope.of(desired)
    assert not any(scope.covers(g) for g in UNRELATED)


def test_foreign_grants_on_the_bus_resources_are_removed() -> None:
    desired = desired_acls(["wh-a", "wh-b"])
    intruders = {
        Grant("User:billing", TOPIC, "sg.audit", LITERAL, WRITE),
        Grant("User:*", TOPIC, "sg.", PREFIXED, READ),
        Grant("User:billing", GROUP, "sgbus-router", LITERAL, READ),
        Grant("User:billing", GROUP, "wh-a.", PREFIXED, READ),
        Grant("User:billing", TXN, "wh-a.x", LITERAL, WRITE),
        Grant("User:billing", TXN, "sgbus-router-1", LITERAL, WRITE),
        Grant("User:wh-b", TOPIC, "sg.wh-a.inbox", LITERAL, READ),
        Grant("User:wh-a", TOPIC, "billing.events", LITERAL, READ),  # a party's, elsewhere
        Grant("User:wh-a", CLUSTER, "kafka-cluster", LITERAL, Operation.ALTER),
        Grant("User:sgbus-registry-admin", TOPIC, "other", LITERAL, READ),
        Grant("User:sgbus-admin", TOPIC, "sg.audit", LITERAL, READ),
        Grant("User:sgbus-router", TOPIC, "sg.wh-a.inbox", LITERAL, WRITE, Permission.DENY),
        Grant("User:sgbus-router", TOPIC, "sg.audit", LITERAL, WRITE, host="10.0.0.1"),
    }
    todo = plan(desired, desired | intruders | UNRELATED)
    assert todo.remove == intruders and not todo.add


def test_describe_lists_grants_then_revocations_sorted() -> None:
    todo = AclPlan(
        add=frozenset(
            {
                Grant("User:wh-b", TOPIC, "sg.wh-b.outbox", LITERAL, WRITE),
                Grant("User:wh-a", GROUP, "wh-a.", PREFIXED, READ),
            }
        ),
        remove=frozenset(
            {
                Grant("User:x", TOPIC, "sg.audit", LITERAL, WRITE, Permission.DENY, "10.0.0.1"),
                Grant("User:sgbus-admin", CLUSTER, "kafka-cluster", LITERAL, Operation.ALTER),
                Grant("User:wh-a", TXN, "wh-a.", PREFIXED, Operation.DESCRIBE),
            }
        ),
    )
    assert todo.describe() == [
        "grant  User:wh-a may READ group wh-a.* (prefix)",
        "grant  User:wh-b may WRITE topic sg.wh-b.outbox",
        "revoke User:sgbus-admin may ALTER cluster kafka-cluster",
        "revoke User:wh-a may DESCRIBE transactional id wh-a.* (prefix)",
        "revoke User:x may not WRITE topic sg.audit from 10.0.0.1",
    ]
    assert todo.summary() == "2 ACLs created, 3 deleted"
    assert not todo.is_empty()


def test_every_desired_grant_round_trips_through_confluent_kafka() -> None:
    for grant in desired_acls(["wh-a", "wh-b"]):
        binding = to_binding(grant)
        assert from_binding(binding) == grant
        acl_filter = to_filter(grant)
        assert (acl_filter.name, acl_filter.principal, acl_filter.host) == (
            grant.name,
            grant.principal,
            "*",
        )
    cluster = to_binding(Grant("User:a", CLUSTER, "kafka-cluster", LITERAL, Operation.ALTER))
    assert cluster.restype == KafkaResourceType.BROKER


def test_bindings_this_module_never_makes_are_skipped() -> None:
    odd = AclBinding(
        KafkaResourceType.UNKNOWN,
        "token",
        ResourcePatternType.LITERAL,
        "User:a",
        "*",
        AclOperation.DESCRIBE,
        AclPermissionType.ALLOW,
    )
    assert from_binding(odd) is None


def test_broker_errors_read_as_advice() -> None:
    no_authorizer = KafkaException(KafkaError(KafkaError.SECURITY_DISABLED))
    assert "--insecure" in error_message(no_authorizer, "listing ACLs")
    refused = KafkaException(KafkaError(KafkaError.CLUSTER_AUTHORIZATION_FAILED))
    assert "sgbus-admin" in error_message(refused, "listing ACLs")


class FakeAdmin:
    """Answers like a broker that lists no ACLs, as librdkafka reports it."""

    def __init__(self, allowed: list[AclOperation] | None, authorizer: str) -> None:
        self.allowed, self.authorizer = allowed, authorizer

    @staticmethod
    def _done(value: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(value)
        return future

    def describe_acls(self, _filter: Any, **_kw: Any) -> Future[Any]:
        return self._done([])

    def describe_cluster(self, **_kw: Any) -> Future[Any]:
        node = SimpleNamespace(id=1)
        return self._done(SimpleNamespace(authorized_operations=self.allowed, nodes=[node]))

    def describe_configs(self, resources: list[Any], **_kw: Any) -> dict[Any, Future[Any]]:
        entry = SimpleNamespace(value=self.authorizer)
        return {r: self._done({"authorizer.class.name": entry}) for r in resources}


ALL_OPS = [AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS]


def test_an_empty_acl_list_is_believed_only_from_a_secured_broker() -> None:
    authorizer = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert current_acls(cast(AdminClient, FakeAdmin(ALL_OPS, authorizer))) == set()
    only_acls = [AclOperation.ALTER, AclOperation.DESCRIBE]
    assert current_acls(cast(AdminClient, FakeAdmin(only_acls, ""))) == set()
    with pytest.raises(AclError, match="no authorizer"):
        current_acls(cast(AdminClient, FakeAdmin(ALL_OPS, "")))
    with pytest.raises(AclError, match="sgbus-admin"):
        current_acls(cast(AdminClient, FakeAdmin(None, authorizer)))
