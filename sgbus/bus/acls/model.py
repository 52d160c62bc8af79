"""One ACL entry as plain data, independent of any Kafka client library.

The names of the enumerations are Kafka's own (``TOPIC``, ``PREFIXED``, ``READ``...), except
that the cluster resource is ``CLUSTER`` (librdkafka calls it ``BROKER``); its only name is
``kafka-cluster``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The name of the one cluster resource.
CLUSTER_NAME = "kafka-cluster"


class ResourceType(StrEnum):
    """What a grant is on."""

    TOPIC = "TOPIC"
    GROUP = "GROUP"
    TRANSACTIONAL_ID = "TRANSACTIONAL_ID"
    CLUSTER = "CLUSTER"


class PatternType(StrEnum):
    """How a grant's resource name matches: exactly, or as a prefix."""

    LITERAL = "LITERAL"
    PREFIXED = "PREFIXED"


class Operation(StrEnum):
    """What a grant allows (or denies)."""

    ALL = "ALL"
    READ = "READ"
    WRITE = "WRITE"
    CREATE = "CREATE"
    DELETE = "DELETE"
    ALTER = "ALTER"
    DESCRIBE = "DESCRIBE"
    CLUSTER_ACTION = "CLUSTER_ACTION"
    DESCRIBE_CONFIGS = "DESCRIBE_CONFIGS"
    ALTER_CONFIGS = "ALTER_CONFIGS"
    IDEMPOTENT_WRITE = "IDEMPOTENT_WRITE"


class Permission(StrEnum):
    """Whether a grant allows or denies."""

    ALLOW = "ALLOW"
    DENY = "DENY"


@dataclass(frozen=True, order=True)
class Grant:
    """One ACL binding: ``principal`` may (or may not) do ``operation`` on a resource."""

    principal: str
    resource_type: ResourceType
    name: str
    pattern_type: PatternType
    operation: Operation
    permission: Permission = Permission.ALLOW
    host: str = "*"

    def describe(self) -> str:
        """One line, e.g. ``User:a may WRITE topic sg.a.outbox``."""
        verb = "may" if self.permission == Permission.ALLOW else "may not"
        kind = self.resource_type.lower().replace("_", " ")
        name = f"{self.name}* (prefix)" if self.pattern_type == PatternType.PREFIXED else self.name
        host = "" if self.host == "*" else f" from {self.host}"
        return f"{self.principal} {verb} {self.operation} {kind} {name}{host}"
