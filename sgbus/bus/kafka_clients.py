"""Kafka client factories with the delivery guarantees the bus relies on.

Producers are idempotent with ``acks=all``; consumers never auto-commit and read only
committed transactional data, so an aborted router transaction is never seen downstream.
Every client authenticates as the principal its settings act as (:mod:`sgbus.bus.security`).
Operators tune everything else through ``SGBUS_KAFKA_PRODUCER`` / ``SGBUS_KAFKA_CONSUMER``,
applied last (settings refuse keys that would weaken those guarantees). Every client logs
through :mod:`sgbus.runtime.kafka_logs` (JSON, rate-limited) instead of raw lines on stderr.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from sgbus.bus.security import kafka_client_config
from sgbus.bus.settings import Settings
from sgbus.runtime.kafka_logs import client_logging


def _base(settings: Settings) -> dict[str, Any]:
    # Brokers and security both come from the principal's credentials (sgbus.bus.security).
    return kafka_client_config(settings)


def make_producer(
    settings: Settings, transactional_id: str | None = None, **extra: Any
) -> Producer:
    """An idempotent producer; transactional when ``transactional_id`` is given."""
    return Producer({**client_logging(), **producer_config(settings, transactional_id, **extra)})


def producer_config(
    settings: Settings, transactional_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The librdkafka settings of :func:`make_producer`: the bus's, ``extra``, the operator's."""
    conf: dict[str, Any] = {
        **_base(settings),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        **extra,
        **settings.kafka_producer,
    }
    if transactional_id:
        conf["transactional.id"] = transactional_id
    return conf


def make_consumer(settings: Settings, group_id: str, **extra: Any) -> Consumer:
    """A consumer that commits nothing by itself and skips aborted transactions."""
    return Consumer({**client_logging(), **consumer_config(settings, group_id, **extra)})


def consumer_config(settings: Settings, group_id: str, **extra: Any) -> dict[str, Any]:
    """The librdkafka settings of :func:`make_consumer`: the bus's, ``extra``, the operator's."""
    conf: dict[str, Any] = {
        **_base(settings),
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        **extra,
        **settings.kafka_consumer,
    }
    return conf


def make_admin(settings: Settings) -> AdminClient:
    """An admin client for topic management and health checks."""
    return AdminClient({**client_logging(), **_base(settings)})
