"""Readiness checks: the broker answers a metadata request, the registry answers HTTP."""

from __future__ import annotations

import logging
import ssl
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

    def __init__(self, bootstrap: str, security: dict[str, Any] | None = None) -> None:
        conf = {**(security or {}), "bootstrap.servers": bootstrap, "socket.timeout.ms": 2000}
        self._admin = AdminClient(conf, logger=_quiet)

    def ready(self, timeout: float = 1.0) -> bool:
        """True once a metadata request succeeds and names at least one broker."""
        try:
            meta: Any = self._admin.list_topics(timeout=timeout)
        except KafkaException:
            return False
        return bool(meta.brokers)


def registry_ready(url: str, timeout: float = 2.0, verify: ssl.SSLContext | bool = True) -> bool:
    """True once the Confluent-compatible API answers: subjects listed, or (secured) a request
    without credentials refused with 401."""
    try:
        status = httpx.get(f"{url}/subjects", timeout=timeout, verify=verify).status_code
    except httpx.HTTPError:
        return False
    return status in (200, 401)


def set_global_compatibility(
    url: str,
    level: str = "BACKWARD",
    auth: tuple[str, str] | None = None,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """Apicurio starts with no compatibility rule (Confluent's default is BACKWARD): set it
    (as the registry's admin when the registry authenticates)."""
    resp = httpx.put(
        f"{url}/config", json={"compatibility": level}, timeout=30.0, auth=auth, verify=verify
    )
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
