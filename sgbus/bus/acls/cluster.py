"""Reading and changing a cluster's ACLs through a confluent-kafka admin client.

:func:`current_acls` lists every ACL (it needs DESCRIBE on the cluster); :func:`apply` creates
and deletes the grants of a plan (ALTER on the cluster). Broker errors become :class:`AclError`
with a sentence a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    ResourcePatternType,
)
from confluent_kafka.admin import ResourceType as KafkaResourceType

from sgbus.bus.acls.diff import AclPlan, plan
from sgbus.bus.acls.model import Grant, Operation, PatternType, Permission, ResourceType

_TIMEOUT_S = 30
_TO_KAFKA = {
    ResourceType.TOPIC: KafkaResourceType.TOPIC,
    ResourceType.GROUP: KafkaResourceType.GROUP,
    ResourceType.TRANSACTIONAL_ID: KafkaResourceType.TRANSACTIONAL_ID,
    ResourceType.CLUSTER: KafkaResourceType.BROKER,
}
_HINTS = {
    KafkaError.SECURITY_DISABLED: "the broker has no authorizer; is the stack running with"
    " --insecure?",
    KafkaError.CLUSTER_AUTHORIZATION_FAILED: "this client may not read or change ACLs; run it"
    " as the admin principal (sgbus-admin)",
    KafkaError._TIMED_OUT: "no answer from the broker; is it running and reachable?",
    KafkaError._TRANSPORT: "cannot reach the broker; is it running and reachable?",
}


class AclError(Exception):
    """The broker refused or could not answer an ACL request."""


def _everything() -> AclBindingFilter:
    anything: Any = None  # a filter's None matches any name, principal or host
    return AclBindingFilter(
        KafkaResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )


def to_binding(grant: Grant) -> AclBinding:
    """The confluent-kafka binding of a grant."""
    return AclBinding(*_binding_args(grant))


def to_filter(grant: Grant) -> AclBindingFilter:
    """A filter that matches exactly this grant (for deleting it)."""
    return AclBindingFilter(*_binding_args(grant))


def _binding_args(grant: Grant) -> tuple[Any, ...]:
    return (
        _TO_KAFKA[grant.resource_type],
        grant.name,
        ResourcePatternType[grant.pattern_type.value],
        grant.principal,
        grant.host,
        AclOperation[grant.operation.value],
        AclPermissionType[grant.permission.value],
    )


def from_binding(binding: AclBinding) -> Grant | None:
    """The grant of a binding; None for kinds this module never manages (e.g. delegation
    tokens, which confluent-kafka reports as UNKNOWN)."""
    kind = next((k for k, v in _TO_KAFKA.items() if v == binding.restype), None)
    pattern, operation = _name(binding.resource_pattern_type), _name(binding.operation)
    if kind is None or pattern not in PatternType.__members__:
        return None
    if operation not in Operation.__members__:
        return None
    return Grant(
        binding.principal,
        kind,
        binding.name,
        PatternType[pattern],
        Operation[operation],
        Permission[_name(binding.permission_type)],
        binding.host,
    )


def _name(value: object) -> str:
    """An enumeration member's name (confluent-kafka types these as enum, str or int)."""
    return str(getattr(value, "name", value))


def _result(future: Future[Any], doing: str) -> Any:
    try:
        return future.result(_TIMEOUT_S)
    except KafkaException as exc:
        raise AclError(error_message(exc, doing)) from exc
    except TimeoutError as exc:
        raise AclError(f"{doing}: {_HINTS[KafkaError._TIMED_OUT]}") from exc


def error_message(exc: KafkaException, doing: str) -> str:
    """``doing``, and what the broker's error means for the person running the command."""
    err = exc.args[0] if exc.args else None
    if not isinstance(err, KafkaError):
        return f"{doing}: {exc}"
    hint = _HINTS.get(err.code())
    return f"{doing}: {hint}" if hint else f"{doing}: {err.str()}"


def current_acls(admin: AdminClient) -> set[Grant]:
    """Every ACL on the cluster that this module can express. Raises :class:`AclError` when
    the client may not list them, or the broker has no authorizer: the broker then answers
    with an empty list, which would read as "no ACLs at all"."""
    future = admin.describe_acls(_everything(), request_timeout=_TIMEOUT_S)
    bindings = _result(future, "listing ACLs")
    if not bindings:
        _check_empty_list_is_real(admin)
    return {g for g in map(from_binding, bindings) if g is not None}


def _check_empty_list_is_real(admin: AdminClient) -> None:
    future = admin.describe_cluster(include_authorized_operations=True, request_timeout=_TIMEOUT_S)
    cluster = _result(future, "describing the cluster")
    allowed = cluster.authorized_operations or []  # librdkafka gives None for none
    if AclOperation.DESCRIBE not in allowed:
        raise AclError(f"listing ACLs: {_HINTS[KafkaError.CLUSTER_AUTHORIZATION_FAILED]}")
    # Without an authorizer every client may do everything, so the configuration can be read
    # and names none; a client with an authorizer that may not read it has one.
    if AclOperation.DESCRIBE_CONFIGS in allowed and not _authorizer(admin, cluster.nodes[0].id):
        raise AclError(f"listing ACLs: {_HINTS[KafkaError.SECURITY_DISABLED]}")


def _authorizer(admin: AdminClient, broker_id: int) -> str:
    """The broker's ``authorizer.class.name`` (empty: none)."""
    resource = ConfigResource(ConfigResource.Type.BROKER, str(broker_id))
    future = admin.describe_configs([resource], request_timeout=_TIMEOUT_S)[resource]
    entry = _result(future, "reading the broker's configuration").get("authorizer.class.name")
    return str(entry.value or "") if entry is not None else ""


def create(admin: AdminClient, grants: Iterable[Grant]) -> None:
    """Create ``grants`` (creating an existing one is a no-op for the broker)."""
    bindings = [to_binding(g) for g in sorted(grants)]
    if not bindings:
        return
    for binding, future in admin.create_acls(bindings, request_timeout=_TIMEOUT_S).items():
        _result(future, f"creating ACL {binding}")


def delete(admin: AdminClient, grants: Iterable[Grant]) -> None:
    """Delete exactly ``grants`` (each through a filter matching only itself)."""
    filters = [to_filter(g) for g in sorted(grants)]
    if not filters:
        return
    for acl_filter, future in admin.delete_acls(filters, request_timeout=_TIMEOUT_S).items():
        _result(future, f"deleting ACL {acl_filter}")


def apply(admin: AdminClient, todo: AclPlan) -> AclPlan:
    """Carry out ``todo``: grants first, so a principal never loses access it keeps; returns
    ``todo``. Running the plan of a cluster already applied changes nothing."""
    create(admin, todo.add)
    delete(admin, todo.remove)
    return todo


def plan_for(admin: AdminClient, desired: Iterable[Grant]) -> AclPlan:
    """The plan from the cluster's current ACLs to ``desired``."""
    return plan(desired, current_acls(admin))
