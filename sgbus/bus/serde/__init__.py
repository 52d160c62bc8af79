"""Serde: event models to Avro bytes and back, with a pluggable framing.

Public API (used by the router, the SDK and the connectors)::

    encode(event, topic) -> bytes
    decode(data, topic, partition, offset) -> Event       # raises DecodeError
    Serde, ConfluentFraming, SingleObjectFraming, build_serde, set_default_serde, default_serde
    SerdeError, EncodeError, DecodeError (permanent), RegistryUnavailable (transient)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sgbus.bus.contracts.history import load_history
from sgbus.bus.contracts.paths import history_dir
from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.bus.events._models import Event
from sgbus.bus.security import registry_client_config
from sgbus.bus.serde.core import Serde
from sgbus.bus.serde.errors import DecodeError, EncodeError, RegistryUnavailable, SerdeError
from sgbus.bus.serde.framing import (
    ConfluentFraming,
    Framing,
    SingleObjectFraming,
)
from sgbus.bus.serde.schemas import CurrentSchemas
from sgbus.bus.settings import Settings

__all__ = [
    "ConfluentFraming",
    "CurrentSchemas",
    "DecodeError",
    "EncodeError",
    "Framing",
    "RegistryUnavailable",
    "Serde",
    "SerdeError",
    "SingleObjectFraming",
    "build_serde",
    "decode",
    "default_serde",
    "encode",
    "serde_for",
    "set_default_serde",
]


#: Seconds one registry request may take (the client retries a failed one up to 3 times).
REGISTRY_TIMEOUT_S = 5


def build_serde(
    registry: str | Mapping[str, Any] | None = None,
    *,
    registry_client: Any = None,
    schema_set: SchemaSet | None = None,
    auto_register: bool | None = None,
) -> Serde:
    """A serde on the Confluent wire format if a registry is given, else single-object encoding.

    ``registry`` is a URL, or a full ``SchemaRegistryClient`` config (URL, credentials, CA) as
    :func:`serde_for` builds it; ``mock://<name>`` gives an in-memory registry (tests). Pass
    ``registry_client`` instead to share one client (and so one in-memory registry). With
    ``auto_register`` the first encode of an event type registers its schema; it is off unless
    asked for, except on an in-memory registry (``mock://`` or a client passed in):
    ``sgbus schemas register`` is a real registry's only writer.
    """
    schema_set = schema_set or SchemaSet.load()
    current = CurrentSchemas(schema_set)
    conf: dict[str, Any] = {"url": registry} if isinstance(registry, str) else dict(registry or {})
    if auto_register is None:
        # In-memory registries (tests) fill themselves; a real one only by its admin.
        auto_register = registry_client is not None or str(conf.get("url", "")).startswith(
            "mock://"
        )
    framing: Framing
    if registry_client is None and conf.get("url"):
        from confluent_kafka.schema_registry import SchemaRegistryClient

        # The client's default is no timeout at all: a registry that stops answering (rather
        # than refusing) would hang the caller, and a service's stop signal with it.
        registry_client = SchemaRegistryClient.new_client({"timeout": REGISTRY_TIMEOUT_S, **conf})
    if registry_client is not None:
        framing = ConfluentFraming(registry_client, current, auto_register=auto_register)
    else:
        framing = SingleObjectFraming(current, load_history(history_dir(schema_set.base)))
    return Serde(framing, current)


def serde_for(settings: Settings, **kwargs: Any) -> Serde:
    """A serde on the registry ``settings`` name, authenticated as their principal."""
    return build_serde(registry_client_config(settings), **kwargs)


_default: Serde | None = None
_default_lock = threading.Lock()


def set_default_serde(serde: Serde | None) -> None:
    """Use ``serde`` for :func:`encode` and :func:`decode` (``None``: rebuild from settings)."""
    global _default
    with _default_lock:
        _default = serde


def default_serde() -> Serde:
    """The process-wide serde: set explicitly, else built from ``SGBUS_SCHEMA_REGISTRY``."""
    global _default
    with _default_lock:
        if _default is None:
            from sgbus.bus.settings import get_settings

            settings = get_settings()
            _default = serde_for(settings) if settings.schema_registry else build_serde()
        return _default


def encode(event: Event, topic: str) -> bytes:
    """Encode ``event`` for ``topic`` with the default serde."""
    return default_serde().encode(event, topic)


def decode(data: bytes, topic: str, partition: int = -1, offset: int = -1) -> Event:
    """Decode a value read from ``topic``/``partition``/``offset`` with the default serde."""
    return default_serde().decode(data, topic, partition, offset)
