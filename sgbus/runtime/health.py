"""A service's health: healthy, or waiting out a transient fault — logged once per change.

While a service waits out an outage its heartbeat stops advancing and
``sgbus_service_healthy`` is 0, so the "stalled" alert fires for an outage that lasts; the
log gets one warning when the fault starts (or changes) and one line when it clears, not a
line per retry.
"""

from __future__ import annotations

import time

import structlog

from sgbus.monitoring import metrics
from sgbus.runtime.faults import Fault

log = structlog.get_logger("sgbus.runtime.health")


class Health:
    """Tracks one service's state and publishes it as metrics and log lines."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.fault: Fault | None = None
        self.since = time.monotonic()
        self.retries = 0
        metrics.set_healthy(service, True)

    @property
    def healthy(self) -> bool:
        """Whether the last iteration succeeded."""
        return self.fault is None

    def ok(self) -> None:
        """The last iteration succeeded: beat the heartbeat; log the recovery if there was a
        fault."""
        if self.fault is not None:
            log.info(
                "recovered",
                service=self.service,
                source=self.fault.source,
                outage_s=round(time.monotonic() - self.since, 1),
                retries=self.retries,
            )
            self.fault = None
            self.retries = 0
            self.since = time.monotonic()
            metrics.set_healthy(self.service, True)
        metrics.mark_heartbeat(self.service)

    def failed(self, fault: Fault) -> None:
        """An iteration hit a transient ``fault``; warn only when the fault is new."""
        self.retries += 1
        if self.fault == fault:
            return
        if self.fault is None or self.fault.source != fault.source:
            metrics.record_transient_fault(self.service, fault.source)
        log.warning(
            "waiting for a transient fault to pass",
            service=self.service,
            source=fault.source,
            reason=fault.reason,
        )
        self.fault = fault
        self.since = time.monotonic()
        metrics.set_healthy(self.service, False)
