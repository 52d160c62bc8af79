"""Build a running watchdog from settings and command-line choices."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sgbus.bus import principals
from sgbus.bus.catalogue import Catalogue, example_catalogue, load_catalogue
from sgbus.bus.deadletter_payload import payload_policy
from sgbus.bus.kafka_clients import make_admin, make_consumer
from sgbus.bus.obligations.regional import RegionalIngestor, regional_problems
from sgbus.bus.regions import Regions, load_regions
from sgbus.bus.security import registry_client_config
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.consumers.watchdog.calendars import load_calendar
from sgbus.consumers.watchdog.clock import make_clock
from sgbus.consumers.watchdog.interpreters import InlineInterpreter, WorkerInterpreter
from sgbus.consumers.watchdog.service import Watchdog, WatchdogConfig
from sgbus.consumers.watchdog.topics import watchdog_topic_specs
from sgbus.monitoring.cities import configure_cities
from sgbus.producers.relay import OutboxRelay


class PolicyNotApplicable(ValueError):
    """The policy names anchors, fields or roles the events or the catalogue cannot supply."""


@dataclass(frozen=True)
class RunOptions:
    """Everything ``sgbus watchdog run`` can be told; unset fields come from settings."""

    db_url: str | None = None
    policy: str | None = None
    catalogue: Path | None = None
    calendar: list[Path] = field(default_factory=list)
    now: datetime | None = None
    clock_speed: float | None = None
    instance_id: str | None = None
    session_timeout_ms: int = 10_000
    decode_worker: bool | None = None
    """Interpret audit records in a worker process; None: ``settings.watchdog_decode_worker``."""
    config: WatchdogConfig = field(default_factory=WatchdogConfig)


def catalogue_of(settings: Settings, path: Path | None) -> Catalogue:
    """The catalogue file given, else the one in settings, else the 威海 example."""
    chosen = path or settings.catalogue
    return load_catalogue(chosen) if chosen else example_catalogue()


def regions_of(settings: Settings, opts: RunOptions) -> Regions:
    """The policy (or policy map) and catalogue chosen, else those in settings."""
    return load_regions(opts.policy or settings.policy, opts.catalogue or settings.catalogue)


def build_ingestor(settings: Settings, opts: RunOptions) -> RegionalIngestor:
    """Policies, calendars and catalogues of every region, checked against each other."""
    regions = regions_of(settings, opts)
    problems = regional_problems(regions)
    if problems:
        raise PolicyNotApplicable("; ".join(problems))
    configure_cities(regions)  # the obligation metrics' city label follows the map
    calendar = load_calendar(_calendar_paths(settings, opts))
    return RegionalIngestor(regions, calendar, skew_tolerance(settings, opts))


def skew_tolerance(settings: Settings, opts: RunOptions) -> timedelta | None:
    """How far an event's ``occurred_at`` may lie from its audit record's timestamp.

    Only on the real clock: with ``--now`` or a simulated clock (demos, tests, what-if runs)
    events are stamped on that clock's timeline, which says nothing about when the broker
    wrote them, so comparing the two would re-time every event.
    """
    if opts.now is not None or opts.clock_speed is not None:
        return None
    return timedelta(seconds=settings.clock_skew_tolerance_s)


def build_watchdog(
    settings: Settings, opts: RunOptions, stop: threading.Event | None = None
) -> Watchdog:
    """A watchdog for the broker, registry and store; nothing is contacted yet. Call
    ``start()`` next (it waits for the store and the broker). Raises for a bad configuration
    (policy, calendar, catalogue, database URL)."""
    settings = settings.acting_as(principals.WATCHDOG)
    ingestor = build_ingestor(settings, opts)
    engine = make_engine(opts.db_url or settings.watchdog_db_url())
    cfg = opts.config
    extra: dict[str, object] = {
        "enable.partition.eof": True,
        "session.timeout.ms": opts.session_timeout_ms,
    }
    if opts.instance_id:
        # Static membership: a restarted instance takes its partitions back at once instead
        # of waiting for the dead one's session to time out.
        extra["group.instance.id"] = opts.instance_id
    paths = _calendar_paths(settings, opts)
    serde = serde_for(settings)
    worker = settings.watchdog_decode_worker if opts.decode_worker is None else opts.decode_worker
    interpreter = (
        WorkerInterpreter(registry_client_config(settings), serde, ingestor)
        if worker
        else InlineInterpreter(serde, ingestor)
    )
    return Watchdog(
        engine=engine,
        consumer=make_consumer(settings, cfg.group_id, **extra),
        relay=OutboxRelay.from_settings(
            engine, settings, owner=f"watchdog:{opts.instance_id}" if opts.instance_id else None
        ),
        admin=make_admin(settings),
        serde=serde,
        clock=make_clock(opts.now, opts.clock_speed),
        ingestor=ingestor,
        config=cfg,
        load_calendar=(lambda: load_calendar(paths)) if paths else None,
        interpreter=interpreter,
        dead_letter_payload=payload_policy(settings),
        stop=stop,
        topic_specs=watchdog_topic_specs(settings, [cfg.audit_topic, cfg.outbox_topic]),
    )


def _calendar_paths(settings: Settings, opts: RunOptions) -> list[Path]:
    return list(opts.calendar) or list(settings.calendar_overrides)
