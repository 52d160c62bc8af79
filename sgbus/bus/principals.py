"""The principals of the bus: who may connect, each a client of the identity provider.

A party's principal is its party id (``weihai-health``); the services have fixed names. The
Kafka broker takes a client's principal from its token (``User:<name>``), the ACLs
(:mod:`sgbus.bus.acls`) grant each exactly what its role needs, and the broker itself is the
only super user (by its TLS certificate).
"""

from __future__ import annotations

ROUTER = "sgbus-router"
WATCHDOG = "sgbus-watchdog"
CONSOLE = "sgbus-console"
GATEWAY = "sgbus-gateway"
#: Replays dead letters: reads the dead-letter log, writes outboxes.
OPERATOR = "sgbus-operator"
#: Creates and alters topics and ACLs; reads and writes no events.
ADMIN = "sgbus-admin"
#: The schema registry's only writer (``sgbus schemas register``); no Kafka grants.
REGISTRY_ADMIN = "sgbus-registry-admin"
#: The broker's own identity (TLS client certificate CN), the only super user.
BROKER = "sgbus-broker"

SERVICE_PRINCIPALS = (ROUTER, WATCHDOG, CONSOLE, GATEWAY, OPERATOR, ADMIN, REGISTRY_ADMIN)


def kafka_principal(name: str) -> str:
    """The broker's name for a principal (``User:<name>``)."""
    return f"User:{name}"
