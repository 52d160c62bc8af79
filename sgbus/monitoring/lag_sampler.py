"""Background sampling of consumer lag into :data:`sgbus.monitoring.metrics.CONSUMER_LAG`.

A service passes the :class:`~sgbus.monitoring.lag.LagSnapshot` its loop records (its
``BatchReader.lag``); a monitoring process reads any group with an admin client::

    sampler = start_lag_sampler({"sgbus-router": router.lag_reader()})
    ...
    sampler.stop()
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from sgbus.bus.settings import Settings
from sgbus.monitoring.endpoint import MetricsServer, serve_metrics
from sgbus.monitoring.lag import ConsumerLagCollector, OffsetReader
from sgbus.monitoring.metrics import CONSUMER_LAG, LAG_SAMPLE_ERRORS

log = structlog.get_logger("sgbus.monitoring.lag_sampler")


class LagSampler:
    """Samples each group's offsets every ``interval`` seconds on a daemon thread."""

    def __init__(
        self,
        readers: Mapping[str, OffsetReader],
        interval: float = 15.0,
        collector: ConsumerLagCollector = CONSUMER_LAG,
    ) -> None:
        self._readers = dict(readers)
        for group in self._readers:
            # Zero from the start: increase() cannot see the first failure of a series that
            # did not exist before it, so the lag-unknown alert would miss it.
            LAG_SAMPLE_ERRORS.labels(group)
        self._interval = interval
        self._collector = collector
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sgbus-lag-sampler", daemon=True)

    def sample_once(self) -> None:
        """Sample every group now; a failing group is counted and logged, the others go on."""
        for group, reader in self._readers.items():
            try:
                self._collector.update(group, reader.sample())
            except Exception as exc:  # any client error: keep sampling the other groups
                LAG_SAMPLE_ERRORS.labels(group).inc()
                log.warning("consumer lag not sampled", group=group, error=type(exc).__name__)

    def start(self) -> LagSampler:
        """Start the background thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            # Daemon thread: a sample blocked on an unreachable broker must not hold up the
            # service's exit.
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self._interval)


def start_lag_sampler(readers: Mapping[str, OffsetReader], interval: float = 15.0) -> LagSampler:
    """Start sampling ``readers`` (group → reader) into the shared lag metric."""
    return LagSampler(readers, interval).start()


@dataclass
class ServiceMonitoring:
    """A service's ``/metrics`` endpoint and the sampler of its consumer group's lag."""

    server: MetricsServer
    sampler: LagSampler

    def close(self) -> None:
        """Stop sampling and serving."""
        self.sampler.stop()
        self.server.close()


def serve_service_metrics(
    settings: Settings, service: str, group: str, reader: OffsetReader | None = None
) -> ServiceMonitoring | None:
    """Serve ``/metrics`` for ``service`` when ``SGBUS_METRICS_PORT`` is set, with its consumer
    group's lag sampled in the background by ``reader`` (default: an admin client's view of
    the whole group); None when metrics are off.

    The services pass the :class:`~sgbus.monitoring.lag.LagSnapshot` their loop records:
    librdkafka 2.16's admin client was seen aborting the whole process
    (``rd_kafka_enq_once_del_source_return`` assertion) when its group-offsets request timed
    out across a broker restart, and a second thread reading the service's own consumer
    waits behind its ``consume`` calls.
    """
    from sgbus.bus.kafka_clients import make_admin
    from sgbus.monitoring.lag import AdminOffsetReader

    server = serve_metrics(settings, service)
    if server is None:
        return None
    reader = reader or AdminOffsetReader(make_admin(settings), group)
    return ServiceMonitoring(server, start_lag_sampler({group: reader}))
