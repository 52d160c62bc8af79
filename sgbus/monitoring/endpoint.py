"""The HTTP endpoint Prometheus scrapes, one per service process.

Local port plan (``scripts/demo`` and ``monitoring/prometheus/prometheus.yml`` use it): each
service process gets its own ``SGBUS_METRICS_PORT``; :data:`LOCAL_PORTS` is the convention
for one process of each service on one machine. ``SGBUS_METRICS_PORT=0`` (the default)
disables the endpoint.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from sgbus import __version__
from sgbus.bus.settings import Settings
from sgbus.monitoring import labels
from sgbus.monitoring.metrics import BUILD_INFO, initialise_series

#: Metrics port of each service when all run on one machine (the local demo).
LOCAL_PORTS: dict[str, int] = {
    "demo": 19100,  # all services in one process (sgbus demo; monitoring/prometheus/demo.yml)
    "router": 19101,
    "watchdog": 19102,
    "department": 19103,
    "relay": 19104,
    "connector": 19105,
    "gateway": 19106,
}


@dataclass
class MetricsServer:
    """A running endpoint; :meth:`close` stops it (tests and orderly shutdown)."""

    port: int
    _server: WSGIServer
    _thread: threading.Thread

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(settings: Settings, service: str) -> MetricsServer | None:
    """Record build info, create the error counters at zero, and serve ``/metrics`` on the
    configured port; None when disabled.

    A port already in use raises ``OSError`` naming the port: two services configured with one
    port is a deployment mistake that must not go unnoticed.
    """
    BUILD_INFO.info({"version": __version__, "service": labels.service(service)})
    initialise_series(service)
    if settings.metrics_port == 0:
        return None
    try:
        server, thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)
    except OSError as exc:
        raise OSError(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}"
            f" (SGBUS_METRICS_PORT): {exc.strerror or exc}"
        ) from exc
    return MetricsServer(int(server.server_address[1]), server, thread)
