"""librdkafka settings for a test's own clients: the given brokers, with the security of the
session's settings (the test inspector's credentials on a secured stack)."""

from __future__ import annotations

from typing import Any

from sgbus.bus.security import kafka_client_config
from sgbus.bus.settings import Settings


def client_conf(bootstrap: str, **extra: Any) -> dict[str, Any]:
    """``bootstrap.servers`` and the session's security settings, then ``extra``."""
    return {**kafka_client_config(Settings(bootstrap=bootstrap)), **extra}
