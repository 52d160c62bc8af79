"""What both runners set up around a connector: acting as its party, its state store, the
dead-letter reporter, metrics, and the service loop with the configured backoff."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import structlog
from confluent_kafka import Producer

from sgbus.bus.kafka_clients import make_producer
from sgbus.bus.serde import Serde, serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.connectors.api import ConnectorContext
from sgbus.connectors.config import ConnectorConfig, instance_name, safe_dump
from sgbus.connectors.errant import ErrantReporter
from sgbus.connectors.registry import ConnectorSpec
from sgbus.connectors.state import ConnectorState
from sgbus.monitoring import metrics
from sgbus.monitoring.endpoint import MetricsServer, serve_metrics
from sgbus.runtime.backoff import Backoff
from sgbus.runtime.faults import Fault, is_transient
from sgbus.runtime.loop import ServiceLoop

SERVICE = "connector"
log = structlog.get_logger("sgbus.connectors")


def state_url(config: ConnectorConfig, settings: Settings, name: str) -> str:
    """The connector's state store: configured, else a SQLite file in the stores folder."""
    return config.state_db or f"sqlite:///{settings.stores_dir() / f'connector-{name}.db'}"


@dataclass
class Harness:
    """A connector instance's surroundings, ready before its first record."""

    spec: ConnectorSpec
    config: ConnectorConfig
    name: str
    party: str
    settings: Settings
    stop: threading.Event
    state: ConnectorState
    serde: Serde
    producer: Producer
    errant: ErrantReporter
    migrated: bool = False
    metrics_server: MetricsServer | None = None

    @classmethod
    def build(
        cls,
        spec: ConnectorSpec,
        config: ConnectorConfig,
        settings: Settings,
        stop: threading.Event,
        serde: Serde | None = None,
    ) -> Harness:
        """Set up connector ``spec`` with ``config``, acting as the configured party."""
        name = instance_name(config, spec.name)
        settings = settings.acting_as(config.party)
        if config.metrics_port is not None:
            settings = settings.model_copy(update={"metrics_port": config.metrics_port})
        engine = make_engine(state_url(config, settings, name))
        state = ConnectorState(engine, name)
        serde = serde or serde_for(settings)
        producer = make_producer(settings)
        errant = ErrantReporter(name, config.party, producer, serde, state, config.errors_tolerance)
        return cls(spec, config, name, config.party, settings, stop, state, serde, producer, errant)

    def context(self) -> ConnectorContext:
        """What the connector itself is given."""
        return ConnectorContext(self.name, self.party, self.settings, self.stop, self.errant)

    def loop(self) -> ServiceLoop:
        """The service loop with the connector's backoff."""
        backoff = Backoff(self.config.retry_backoff_s, maximum_s=self.config.max_backoff_s)
        return ServiceLoop(SERVICE, self.stop, backoff=backoff)

    def start(self) -> None:
        """Serve metrics (series at zero) and say what runs, secrets masked."""
        self.metrics_server = serve_metrics(self.settings, SERVICE)
        metrics.initialise_connector_series(self.name, self.party)
        log.info(
            "connector starting",
            connector=self.name,
            kind=self.spec.kind,
            type=self.spec.name,
            party=self.party,
            config=safe_dump(self.config),
        )

    def migrate_state(self) -> None:
        """Bring the state store's schema up to date (retried by the loop while it is away)."""
        if not self.migrated:
            migrate(self.state.engine)
            self.migrated = True

    def on_fault(self, fault: Fault) -> None:
        """Count a transient fault; reports of the failed batch will be made again."""
        metrics.record_connector_fault(self.name, fault.source)
        self.errant.discard()

    def close(self, *closers: Any) -> None:
        """Close the connector's parts in order, then the producer, store and metrics."""
        try:
            for close in closers:
                close()
        finally:
            left = self.producer.flush(5.0)
            if left:
                log.warning("dead letters not acknowledged at stop", connector=self.name, n=left)
            self.state.engine.dispose()
            if self.metrics_server is not None:
                self.metrics_server.close()
            log.info("connector stopped", connector=self.name, party=self.party)


def transient_or_raise(exc: BaseException) -> None:
    """Re-raise ``exc`` unless it is transient (for clean-up that may meet an outage)."""
    if not is_transient(exc):
        raise exc
