"""Kafka client factories with the delivery guarantees the bus relies on.

Producers are idempotent with ``acks=all``; consumers never auto-commit and read only
committed transactional data, so an aborted router transaction is never seen downstream.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from sgbus.bus.settings import Settings


def _base(settings: Settings) -> dict[str, Any]:
    return {"bootstrap.servers": settings.bootstrap_servers()}


def make_producer(
    settings: Settings, transactional_id: str | None = None, **extra: Any
) -> Producer:
    """An idempotent producer; transactional when ``transactional_id`` is given."""
    conf: dict[str, Any] = {
        **_base(settings),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        **extra,
    }
    if transactional_id:
        conf["transactional.id"] = transactional_id
    return Producer(conf)


def make_consumer(settings: Settings, group_id: str, **extra: Any) -> Consumer:
    """A consumer that commits nothing by itself and skips aborted transactions."""
    conf: dict[str, Any] = {
        **_base(settings),
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        **extra,
    }
    return Consumer(conf)


def make_admin(settings: Settings) -> AdminClient:
    """An admin client for topic management and health checks."""
    return AdminClient(_base(settings))
