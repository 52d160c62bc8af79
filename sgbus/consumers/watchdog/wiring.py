"""Build a running watchdog from settings and command-line choices."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from confluent_kafka.admin import NewTopic

from sgbus.bus.catalogue import Catalogue, example_catalogue, load_catalogue
from sgbus.bus.kafka_clients import make_admin, make_consumer, make_producer
from sgbus.bus.obligations.ingest import Ingestor, policy_problems
from sgbus.bus.policy import load_policy
from sgbus.bus.serde import build_serde
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.consumers.watchdog.calendars import load_calendar
from sgbus.consumers.watchdog.clock import make_clock
from sgbus.consumers.watchdog.interpreters import InlineInterpreter, WorkerInterpreter
from sgbus.consumers.watchdog.service import Watchdog, WatchdogConfig

log = logging.getLogger("sgbus.watchdog")


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


def build_ingestor(settings: Settings, opts: RunOptions) -> Ingestor:
    """Policy, calendar and catalogue, checked against each other."""
    policy = load_policy(opts.policy or settings.policy)
    catalogue = catalogue_of(settings, opts.catalogue)
    problems = policy_problems(policy, catalogue)
    if problems:
        raise PolicyNotApplicable("; ".join(problems))
    return Ingestor(policy, load_calendar(_calendar_paths(settings, opts)), catalogue)


def build_watchdog(settings: Settings, opts: RunOptions) -> Watchdog:
    """A watchdog connected to the broker, registry and store; call ``start()`` next."""
    ingestor = build_ingestor(settings, opts)
    engine = make_engine(opts.db_url or settings.watchdog_db_url())
    migrate(engine)
    cfg = opts.config
    _ensure_topics(settings, [cfg.audit_topic, cfg.outbox_topic])
    extra: dict[str, object] = {
        "enable.partition.eof": True,
        "session.timeout.ms": opts.session_timeout_ms,
    }
    if opts.instance_id:
        # Static membership: a restarted instance takes its partitions back at once instead
        # of waiting for the dead one's session to time out.
        extra["group.instance.id"] = opts.instance_id
    paths = _calendar_paths(settings, opts)
    serde = build_serde(settings.registry_url())
    worker = settings.watchdog_decode_worker if opts.decode_worker is None else opts.decode_worker
    interpreter = (
        WorkerInterpreter(settings.registry_url(), serde, ingestor)
        if worker
        else InlineInterpreter(serde, ingestor)
    )
    return Watchdog(
        engine=engine,
        consumer=make_consumer(settings, cfg.group_id, **extra),
        producer=make_producer(settings),
        admin=make_admin(settings),
        serde=serde,
        clock=make_clock(opts.now, opts.clock_speed),
        ingestor=ingestor,
        config=cfg,
        load_calendar=(lambda: load_calendar(paths)) if paths else None,
        interpreter=interpreter,
    )


def _calendar_paths(settings: Settings, opts: RunOptions) -> list[Path]:
    return list(opts.calendar) or list(settings.calendar_overrides)


def _ensure_topics(settings: Settings, names: list[str]) -> None:
    """Create the topics the watchdog reads and writes when the cluster lacks them."""
    admin = make_admin(settings)
    existing = admin.list_topics(timeout=30).topics
    missing = [n for n in dict.fromkeys(names) if n not in existing]
    if not missing:
        return
    new = [NewTopic(n, settings.topic_partitions, settings.topic_replication) for n in missing]
    for name, fut in admin.create_topics(new, request_timeout=30).items():
        try:
            fut.result(30)
            log.info("created topic %s", name)
        except Exception as exc:  # another instance may have created it a moment ago
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
