"""Metrics of the demo process: one ``/metrics`` endpoint for all the services it runs.

The demo runs router, department services and watchdog in one process, so they share one
registry and one port (``SGBUS_METRICS_PORT``); ``monitoring/prometheus/demo.yml`` scrapes that
port under the three job names the dashboard and the alert rules expect. Consumer lag of every
group is read from outside with an admin client: the router commits its offsets to Kafka in its
transactions, and the department services and the watchdog mirror the offsets they keep in SQL
to Kafka after each batch, so Kafka's committed offsets are current for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.principals import ADMIN
from sgbus.bus.settings import Settings
from sgbus.monitoring.endpoint import MetricsServer, serve_metrics
from sgbus.monitoring.lag import AdminOffsetReader
from sgbus.monitoring.lag_sampler import LagSampler, start_lag_sampler
from sgbus.monitoring.metrics import initialise_series

#: Services the demo runs in-process; their error counters start at zero like in their own
#: processes, so the dead-letter and abort panels have series from the first scrape.
IN_PROCESS = ("router", "department", "watchdog")


@dataclass
class DemoMonitoring:
    """The running endpoint and lag sampler; :meth:`close` stops both."""

    server: MetricsServer
    sampler: LagSampler

    @property
    def port(self) -> int:
        """The port ``/metrics`` is served on."""
        return self.server.port

    def close(self) -> None:
        """Stop sampling and serving."""
        self.sampler.stop()
        self.server.close()


def start_monitoring(
    settings: Settings, groups: Sequence[str], interval_s: float
) -> DemoMonitoring | None:
    """Serve metrics and sample the lag of ``groups`` every ``interval_s`` seconds; None when
    ``settings.metrics_port`` is 0 (metrics off)."""
    server = serve_metrics(settings, "demo") if settings.metrics_port else None
    if server is None:
        return None
    for service in IN_PROCESS:
        initialise_series(service)
    admin = make_admin(settings.acting_as(ADMIN))
    sampler = start_lag_sampler({g: AdminOffsetReader(admin, g) for g in groups}, interval_s)
    return DemoMonitoring(server, sampler)
