"""The demo scenario: a week of 审管联动 on the local stack, in simulated time.

The approval bureau of 威海 publishes approval results over several matters; the router delivers
them to the supervising departments; each department's service stores and claims them in its own
way — two integrated systems claim on receipt, one liaison officer claims promptly, one late
(after the watchdog's reminder), one never (the watchdog auto-claims at expiry, 安丘 第十八条);
a department pushes penalties back and the approval bureau leaves some unclaimed, which turns
into breach reports. All services run in this process, on one simulated clock.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaException, TopicPartition
from sqlalchemy import Engine, func, select

from sgbus.bus import principals
from sgbus.bus.calendar import CHINA_TZ, default_calendar
from sgbus.bus.catalogue import Catalogue, example_catalogue
from sgbus.bus.kafka_clients import make_admin, make_consumer
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic
from sgbus.bus.reading import reader_group
from sgbus.bus.serde import Serde, serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import save_offsets
from sgbus.bus.store.tables import inbox_items, obligations
from sgbus.bus.topics import apply, desired_topics
from sgbus.consumers.department.manual import NothingToClaim, claim_case
from sgbus.consumers.department.service import DepartmentConfig, DepartmentService, group_id
from sgbus.consumers.department.store import ClaimState, find_items
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.service import GROUP_ID as ROUTER_GROUP
from sgbus.consumers.router.service import Router
from sgbus.consumers.watchdog.clock import SimulatedClock
from sgbus.consumers.watchdog.service import WatchdogConfig
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.demo.monitoring import DemoMonitoring, start_monitoring
from sgbus.demo.synthetic import approval_result, supervision_action
from sgbus.producers.publisher import Publisher
from sgbus.producers.relay import OutboxRelay

APPROVAL = "weihai-approval"
OVERSIGHT = "weihai-oversight"


@dataclass(frozen=True)
class Role:
    """How one department handles its inbox in the demo."""

    party: str
    matter: str
    behaviour: str  # integrated | prompt | late | never
    claim_at: Callable[[dt.datetime], dt.datetime] | None = None  # when the officer claims


@dataclass
class DemoPlan:
    """What the demo does; the defaults give a readable week in about a minute."""

    results: int = 300
    penalties: int = 24
    speed: float = 20_000.0  # simulated seconds per real second: a day in about 4 s
    days: float = 8.0
    policy: str = "anqiu"
    seed: int = 2026
    sample_interval_s: float = 5.0  # real seconds between consumer-lag and obligation samples


@dataclass
class Running:
    """Handles of the running demo, for the live view."""

    clock: SimulatedClock
    roles: list[Role]
    engines: dict[str, Engine]
    watchdog_engine: Engine
    end_at: dt.datetime
    published: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    monitoring: DemoMonitoring | None = None


def monday_morning(today: dt.date) -> dt.datetime:
    """09:00 Asia/Shanghai of the next Monday (today if it is one): where simulated time
    starts, so the week ahead is seen unfolding."""
    monday = today + dt.timedelta(days=-today.weekday() % 7)
    return dt.datetime.combine(monday, dt.time(9), CHINA_TZ)


def pick_roles(catalogue: Catalogue) -> list[Role]:
    """Five departments, each with a matter only it supervises, and their behaviours."""
    calendar = default_calendar()

    def prompt(received: dt.datetime) -> dt.datetime:
        return received + dt.timedelta(hours=3)

    def late(received: dt.datetime) -> dt.datetime:
        # 10:00 on the last working day of a 3-day period: after the reminder, before expiry.
        return calendar.deadline(received, 2).due_at + dt.timedelta(hours=10)

    behaviours: list[tuple[str, Callable[[dt.datetime], dt.datetime] | None]] = [
        ("integrated", None),
        ("integrated", None),
        ("prompt", prompt),
        ("late", late),
        ("never", None),
    ]
    roles: list[Role] = []
    taken: set[str] = set()
    for matter in catalogue.matters:
        sup = catalogue.supervisors_of(matter.code, "371000")
        if len(sup) == 1 and sup[0].id not in taken and not matter.per_region:
            behaviour, after = behaviours[len(roles)]
            roles.append(Role(sup[0].id, matter.code, behaviour, after))
            taken.add(sup[0].id)
        if len(roles) == len(behaviours):
            return roles
    raise ValueError("the catalogue has fewer than five single-department matters")


def start_at_end(engine: Engine, settings: Settings, group: str, topic: str) -> None:
    """A new store starts reading ``topic`` at its current end (earlier runs are not replayed);
    ``settings`` act as the topic's reader."""
    consumer = make_consumer(settings, reader_group(settings))
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                meta = consumer.list_topics(topic, timeout=30).topics[topic]
                ends = {
                    (topic, p): consumer.get_watermark_offsets(
                        TopicPartition(topic, p), timeout=30
                    )[1]
                    for p in meta.partitions
                }
                break
            except KafkaException:
                # Topics just created: partition leaders are still being elected.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        consumer.close()
    with engine.begin() as conn:
        save_offsets(conn, group, ends)


def _thread(target: Callable[[], object], errors: list[str], name: str) -> threading.Thread:
    def guarded() -> None:
        try:
            target()
        except Exception as exc:  # the live view shows it; the demo then stops
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")

    t = threading.Thread(target=guarded, name=name, daemon=True)
    t.start()
    return t


def start(
    settings: Settings,
    plan: DemoPlan,
    workdir: Path,
    before_actors: Callable[[Running], None] | None = None,
) -> tuple[Running, list[threading.Thread]]:
    """Apply topics, start router, department services, watchdog and the actors; serve
    metrics when ``settings.metrics_port`` is set (stop them with ``run.monitoring.close()``).
    ``before_actors`` runs once everything reads, before the first event is published (the
    console starts there)."""
    catalogue = example_catalogue()
    admin = make_admin(settings.acting_as(principals.ADMIN))
    apply(admin, desired_topics([*catalogue.parties_by_id, "watchdog"], settings))
    roles = pick_roles(catalogue)
    # One serde (a registry reader) for every actor of the demo.
    serde = serde_for(settings.acting_as(principals.ROUTER))
    clock = SimulatedClock(monday_morning(dt.date.today()), plan.speed)
    run = Running(
        clock=clock,
        roles=roles,
        engines={},
        watchdog_engine=make_engine(f"sqlite:///{workdir / 'watchdog.db'}"),
        end_at=clock.start + dt.timedelta(days=plan.days),
    )
    parties = [APPROVAL, OVERSIGHT, *(r.party for r in roles)]
    wd_cfg = WatchdogConfig(
        poll_timeout_s=0.2, grace_s=0.5, gauge_interval_s=plan.sample_interval_s
    )
    # First, so that a port already taken stops the demo before anything runs.
    groups = [ROUTER_GROUP, *(group_id(p) for p in parties), wd_cfg.group_id]
    run.monitoring = start_monitoring(settings, groups, plan.sample_interval_s)
    threads = []
    router = Router(settings, serde, CatalogueDirectory(catalogue), instance="demo", stop=run.stop)
    threads.append(_thread(router.run, run.errors, "router"))
    for party in parties:
        auto = any(r.party == party and r.behaviour == "integrated" for r in roles)
        cfg = DepartmentConfig(
            party,
            f"sqlite:///{workdir / (party + '.db')}",
            claim_on_receipt=auto,
            instance_id=f"demo-{party}",
            poll_timeout_s=0.2,
        )
        service = DepartmentService(cfg, settings, serde=serde, clock=clock.now)
        start_at_end(service.engine, settings.acting_as(party), group_id(party), inbox_topic(party))
        run.engines[party] = service.engine
        threads.append(_thread(lambda s=service: s.run(run.stop), run.errors, party))  # type: ignore[misc]
    migrate(run.watchdog_engine)
    watchdog_settings = settings.acting_as(principals.WATCHDOG)
    start_at_end(run.watchdog_engine, watchdog_settings, wd_cfg.group_id, AUDIT_TOPIC)
    watchdog = build_watchdog(
        settings,
        RunOptions(
            db_url=f"sqlite:///{workdir / 'watchdog.db'}",
            policy=plan.policy,
            now=clock.start,
            clock_speed=plan.speed,
            instance_id="demo-watchdog",
            config=wd_cfg,
        ),
    )
    watchdog.clock = clock

    def watch() -> None:
        watchdog.start()
        try:
            watchdog.run(run.stop.is_set)
        finally:
            watchdog.close()

    threads.append(_thread(watch, run.errors, "watchdog"))
    if before_actors is not None:
        before_actors(run)
    threads.append(_thread(lambda: _act(settings, plan, run, serde), run.errors, "actors"))
    return run, threads


def _act(settings: Settings, plan: DemoPlan, run: Running, serde: Serde) -> None:
    """The people and systems around the bus: the bureau publishes, officers claim."""
    rng = random.Random(plan.seed)
    catalogue = example_catalogue()
    serial0 = rng.randrange(10_000, 90_000) * 10  # case keys differ from earlier runs
    results = []
    with Publisher(APPROVAL, settings, serde) as bureau:
        for i in range(plan.results):
            role = run.roles[i % len(run.roles)]
            event = approval_result(
                catalogue.matter(role.matter),
                serial0 + i,
                sender=APPROVAL,
                region="371000",
                decided_at=run.clock.now(),
                rng=rng,
            )
            bureau.publish(event)
            results.append(event)
            run.published[role.party] = run.published.get(role.party, 0) + 1
    pusher = run.roles[0].party
    pushed = [r for r in results if r.matter.code == run.roles[0].matter][: plan.penalties]
    penalties_due = run.clock.start + dt.timedelta(days=1)
    relays = {
        p: OutboxRelay.from_settings(e, settings.acting_as(p)) for p, e in run.engines.items()
    }
    while not run.stop.is_set() and run.clock.now() < run.end_at:
        if pushed and run.clock.now() >= penalties_due:
            with Publisher(pusher, settings, serde) as dept:
                dept.publish_many(
                    [
                        supervision_action(r, pusher, serial0 + i, at=run.clock.now(), rng=rng)
                        for i, r in enumerate(pushed)
                    ]
                )
            run.published["penalties"] = len(pushed)
            pushed = []
        for role in run.roles:
            if role.claim_at is not None:
                _officer_claims(run, serde, role.party, role.claim_at, relays[role.party])
        # The bureau's officer claims part of the penalties (a stable half of case-key hashes on
        # average); the rest end as breach reports.
        _officer_claims(run, serde, APPROVAL, _five_hours_later, relays[APPROVAL], every=2)
        run.stop.wait(0.2)
    _settle(run)
    run.stop.set()


def _settle(run: Running, quiet_s: float = 2.0, limit_s: float = 60.0) -> None:
    """Let in-flight events (last auto-claims, breach reports) arrive: wait until the
    summary has not changed for ``quiet_s``."""
    last, quiet_since, began = summary(run), time.monotonic(), time.monotonic()
    while not run.stop.wait(0.25) and time.monotonic() - began < limit_s:
        now = summary(run)
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return


def _five_hours_later(received: dt.datetime) -> dt.datetime:
    return received + dt.timedelta(hours=5)


def _officer_claims(
    run: Running,
    serde: Serde,
    party: str,
    claim_at: Callable[[dt.datetime], dt.datetime],
    relay: OutboxRelay,
    every: int = 1,
) -> None:
    """A liaison officer claims the pending items whose claim time has come (every
    ``every``-th case only, chosen by a stable hash of its key)."""
    now = run.clock.now()
    with run.engines[party].connect() as conn:
        pending = find_items(conn, party, pending_only=True)
    claimed = 0
    for item in pending:
        occurred = item["occurred_at"]
        assert isinstance(occurred, dt.datetime)
        if now < claim_at(occurred) or zlib.crc32(str(item["case_key"]).encode()) % every:
            continue
        try:
            claim_case(
                run.engines[party], serde, party, str(item["case_key"]), officer="联络员", at=now
            )
            claimed += 1
        except NothingToClaim:
            continue  # claimed meanwhile (e.g. the watchdog's auto-claim arrived)
    if claimed:
        relay.drain()


@dataclass(frozen=True)
class Row:
    """One line of the live summary."""

    party: str
    behaviour: str
    published: int
    delivered: int
    claimed: dict[str, int]
    pending: int
    reminders: int
    auto_claims: int
    breaches: int


def summary(run: Running) -> list[Row]:
    """Counts per department from its store and the watchdog's."""
    rows = []
    with run.watchdog_engine.connect() as conn:
        ob = {
            (r.debtor, r.state, r.reminded): r.n
            for r in conn.execute(
                select(
                    obligations.c.debtor,
                    obligations.c.state,
                    obligations.c.reminded_at.is_not(None).label("reminded"),
                    func.count().label("n"),
                )
                .where(obligations.c.flow.in_(["claim", "supervision-claim"]))
                .group_by(obligations.c.debtor, obligations.c.state, "reminded")
            )
        }
    behaviours = {r.party: r.behaviour for r in run.roles} | {APPROVAL: "bureau"}
    for party, behaviour in behaviours.items():
        with run.engines[party].connect() as conn:
            counts: dict[str, int] = dict(
                conn.execute(
                    select(inbox_items.c.claim_mode, func.count())
                    .where(inbox_items.c.claim_state == ClaimState.CLAIMED)
                    .group_by(inbox_items.c.claim_mode)
                ).all()
            )
            delivered = conn.execute(
                select(func.count())
                .select_from(inbox_items)
                .where(inbox_items.c.claim_state != ClaimState.INFO)
            ).scalar_one()
            pending = conn.execute(
                select(func.count())
                .select_from(inbox_items)
                .where(inbox_items.c.claim_state == ClaimState.PENDING)
            ).scalar_one()
        mine = {k: v for k, v in ob.items() if k[0] == party}
        rows.append(
            Row(
                party,
                behaviour,
                run.published.get("penalties" if party == APPROVAL else party, 0),
                delivered,
                {str(k).lower(): v for k, v in counts.items()},  # shown as plain words
                pending,
                sum(v for k, v in mine.items() if k[2]),
                sum(v for k, v in mine.items() if k[1] == "auto-resolved"),
                sum(v for k, v in mine.items() if k[1] == "breached"),
            )
        )
    return rows
