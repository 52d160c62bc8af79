"""The console's parts, built from settings: read model, projector, publisher, policy.

The console authenticates to the bus as itself (principal ``sgbus-console``) and writes the
outbox of the party its logged-in user acts for; the broker's ACLs allow it exactly the
catalogue parties' outboxes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from confluent_kafka import Producer
from sqlalchemy import Engine

from sgbus.bus import principals
from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.catalogue import Catalogue
from sgbus.bus.events import EVENT_CLASSES, Event
from sgbus.bus.kafka_clients import make_consumer, make_producer
from sgbus.bus.policy import Policy
from sgbus.bus.regions import Regions
from sgbus.bus.serde import Serde, serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.console.readmodel.service import Projector, ProjectorConfig
from sgbus.consumers.watchdog.clock import Clock, make_clock
from sgbus.consumers.watchdog.wiring import RunOptions, build_ingestor
from sgbus.producers.publisher import Publisher, Receipt


class EventPublisher(Protocol):
    """Publishes an event to a party's outbox and says where the broker stored it."""

    def publish(self, party: str, event: Event) -> Receipt: ...

    def close(self) -> None: ...


class BusPublisher:
    """Publishes events for any party as a front end (the console, the gateway): one producer,
    one publisher per party."""

    def __init__(
        self, settings: Settings, serde: Serde, principal: str = principals.CONSOLE
    ) -> None:
        self._principal = principal
        self._settings = settings.acting_as(principal)
        self._serde = serde
        self._producer: Producer | None = None
        self._publishers: dict[str, Publisher] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._poller: threading.Thread | None = None

    def publish(self, party: str, event: Event) -> Receipt:
        """Publish ``event`` to ``party``'s outbox; returns once the broker has it."""
        with self._lock:
            pub = self._publishers.get(party)
            if pub is None:
                if self._producer is None:
                    self._producer = make_producer(self._settings)
                    self._poller = threading.Thread(
                        target=self._poll,
                        args=(self._producer,),
                        name="publisher-poll",
                        daemon=True,
                    )
                    self._poller.start()
                pub = Publisher(
                    party,
                    self._settings,
                    self._serde,
                    producer=self._producer,
                    principal=self._principal,
                    polled_elsewhere=True,
                )
                self._publishers[party] = pub
        return pub.publish(event)

    def _start_poller(self, producer: Producer) -> None:
        self._poller = threading.Thread(
            target=self._poll, args=(producer,), name="publisher-poll", daemon=True
        )
        self._poller.start()

    def _poll(self, producer: Producer) -> None:
        """Serve the shared producer's delivery reports for every waiting publisher."""
        while not self._closed.is_set():
            producer.poll(0.1)

    def close(self) -> None:
        """Wait for anything in flight, then stop serving reports."""
        if self._producer is not None:
            self._producer.flush(10)
        self._closed.set()


@dataclass
class Console:
    """Everything the pages need, and the projector that keeps the read model current."""

    engine: Engine
    catalogue: Catalogue
    policy: Policy
    calendar: WorkingCalendar
    clock: Clock
    publisher: EventPublisher
    projector: Projector | None = None
    report_name_below: float = 0.9
    """The 通报 names first the parties under this on-time rate (``SGBUS_REPORT_NAME_BELOW``)."""
    regions: Regions | None = None
    """The policy map's regions when the bus runs under one (the centre's per-city views)."""

    def now(self) -> datetime:
        """The console's clock (the demo's simulated week, or real time)."""
        return self.clock.now()

    @property
    def oversight(self) -> str | None:
        """The oversight office's party id."""
        return self.catalogue.oversight

    def party_name(self, party: str) -> str:
        """A party's name from the catalogue, else its id."""
        return self.catalogue.display_name(party)

    def cities(self) -> dict[str, str]:
        """Region code → name of each city of the policy map; empty without a map."""
        if self.regions is None or not self.regions.is_map:
            return {}
        return {j.region: j.name for j in self.regions.jurisdictions if j.region is not None}

    def departments(self) -> list[str]:
        """Party ids of the departments, for assignment."""
        return sorted(p.id for p in self.catalogue.parties if p.kind.value == "department")


def decode_payload(event_type: str, payload: dict[str, Any]) -> Event:
    """The event an item's stored JSON holds."""
    return EVENT_CLASSES[event_type].model_validate(payload)


def build_console(
    settings: Settings,
    *,
    db_url: str | None = None,
    now: datetime | None = None,
    clock_speed: float | None = None,
    calendar: list[Path] | None = None,
    policy: str | None = None,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    with_projector: bool = True,
    principal: str = principals.CONSOLE,
) -> Console:
    """The console for the broker, registry and store in ``settings``; nothing contacted yet.
    Raises for a bad configuration (policy, calendar, catalogue, database URL). The gateway
    runs the same read model as its own ``principal``, in its own consumer group."""
    settings = settings.acting_as(principal)
    opts = RunOptions(
        policy=policy, now=now, clock_speed=clock_speed, calendar=list(calendar or [])
    )
    ingestor = build_ingestor(settings, opts)
    engine = make_engine(db_url or settings.console_db_url())
    serde = serde_for(settings)
    clock = clock or make_clock(now, clock_speed)
    projector = None
    if with_projector:
        config = ProjectorConfig(group_id=principal)
        projector = Projector(
            engine=engine,
            consumer=make_consumer(settings, config.group_id, **{"enable.partition.eof": True}),
            serde=serde,
            ingestor=ingestor,
            clock=clock,
            config=config,
            stop=stop,
        )
    return Console(
        engine=engine,
        catalogue=ingestor.catalogue,
        policy=ingestor.policy,
        calendar=ingestor.calendar,
        clock=clock,
        publisher=BusPublisher(settings, serde, principal),
        projector=projector,
        report_name_below=settings.report_name_below,
        regions=ingestor.regions if ingestor.regions.is_map else None,
    )
