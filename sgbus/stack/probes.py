"""Readiness checks: the broker answers a metadata request, the registry answers HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

_quiet = logging.getLogger("sgbus.stack.probe")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


class KafkaProbe:
    """Reuses one admin client across polls; librdkafka's connect errors are kept quiet."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = AdminClient(
            {"bootstrap.servers": bootstrap, "socket.timeout.ms": 2000}, logger=_quiet
        )

    def ready(self, timeout: float = 1.0) -> bool:
        """True once a metadata request succeeds and names at least one broker."""
        try:
            meta: Any = self._admin.list_topics(timeout=timeout)
        except KafkaException:
            return False
        return bool(meta.brokers)


def registry_ready(url: str, timeout: float = 2.0) -> bool:
    """True once the Confluent-compatible API lists subjects."""
    try:
        return httpx.get(f"{url}/subjects", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def set_global_compatibility(url: str, level: str = "BACKWARD") -> None:
    """Apicurio starts with no compatibility rule (Confluent's default is BACKWARD): set it."""
    resp = httpx.put(f"{url}/config", json={"compatibility": level}, timeout=10.0)
    resp.raise_for_status()


def wait_until(
    ready: Callable[[], bool], alive: Callable[[], bool], timeout: float, interval: float = 0.25
) -> str:
    """Poll ``ready`` until it holds; return ``"ready"``, ``"exited"`` or ``"timeout"``."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return "ready"
        if not alive():
            return "exited"
        if time.monotonic() >= deadline:
            return "timeout"
        time.sleep(interval)
