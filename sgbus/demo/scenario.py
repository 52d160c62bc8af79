"""The demo scenario: a week of 审管联动 on the local stack, in simulated time.

The approval bureau of 威海 publishes approval results over several matters; the router delivers
them to the supervising departments; each department's service stores and claims them in its own
way — two integrated systems claim on receipt, one liaison officer claims promptly, one late
(after the watchdog's reminder), one never (the watchdog auto-claims at expiry, 安丘 第十八条);
a department pushes penalties back and the approval bureau leaves some unclaimed, which turns
into breach reports. All services run in this process, on one simulated clock.

Under a policy map (``--policy shandong``) every city of the map does all of this at once on
the one bus: its bureau publishes results carrying its region code, the router sends them to
its own departments, and the watchdog applies its own rules (see :mod:`sgbus.demo.cast`).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaException, TopicPartition
from sqlalchemy import Engine, func, select

from sgbus.bus import principals
from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.events import ApprovalResult
from sgbus.bus.kafka_clients import make_admin, make_consumer
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic
from sgbus.bus.reading import reader_group
from sgbus.bus.regions import is_policy_map, load_regions
from sgbus.bus.serde import Serde, serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import save_offsets
from sgbus.bus.store.tables import inbox_items, obligations
from sgbus.bus.topics import apply, desired_topics
from sgbus.consumers.department.manual import NothingToClaim, claim_case
from sgbus.consumers.department.service import DepartmentConfig, DepartmentService, group_id
from sgbus.consumers.department.store import ClaimState, find_items
from sgbus.consumers.router.directory import CatalogueDirectory, RegionalDirectory
from sgbus.consumers.router.service import GROUP_ID as ROUTER_GROUP
from sgbus.consumers.router.service import Router
from sgbus.consumers.watchdog.clock import SimulatedClock
from sgbus.consumers.watchdog.service import WatchdogConfig
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.demo.cast import (
    APPROVAL,
    BEHAVIOURS,
    OVERSIGHT,
    City,
    Role,
    all_parties,
    cast,
    cities_of,
    pick_roles,
)
from sgbus.demo.monitoring import DemoMonitoring, start_monitoring
from sgbus.demo.synthetic import approval_result, supervision_action
from sgbus.producers.publisher import Publisher
from sgbus.producers.relay import OutboxRelay

__all__ = ["APPROVAL", "OVERSIGHT", "DemoPlan", "Role", "Running", "pick_roles", "start"]


@dataclass
class DemoPlan:
    """What the demo does; the defaults give a readable week in about a minute."""

    results: int = 300
    penalties: int = 24
    speed: float = 20_000.0  # simulated seconds per real second: a day in about 4 s
    days: float = 8.0
    policy: str = "anqiu"
    """A policy for 威海 alone, or a policy map (``shandong``): every city of the map at once."""
    seed: int = 2026
    behaviours: tuple[str, ...] = BEHAVIOURS
    """The departments of each city, by behaviour (see :data:`sgbus.demo.cast.BEHAVIOURS`)."""
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
    cities: list[City] = field(default_factory=list)

    def city(self, region: str) -> City:
        """The demo city whose results carry ``region``."""
        return next(c for c in self.cities if c.region == region)


class StartGate:
    """A monotonic time that stands still until :meth:`release`: the demo's simulated week
    starts when the actors do, not while a score of services connect (at 20,000 times real
    time, ten seconds of start-up would be more than two days of the week)."""

    def __init__(self) -> None:
        self._released: float | None = None

    def __call__(self) -> float:
        return 0.0 if self._released is None else time.monotonic() - self._released

    def release(self) -> None:
        """Let time run from now on."""
        if self._released is None:
            self._released = time.monotonic()


def monday_morning(today: dt.date) -> dt.datetime:
    """09:00 Asia/Shanghai of the next Monday (today if it is one): where simulated time
    starts, so the week ahead is seen unfolding."""
    monday = today + dt.timedelta(days=-today.weekday() % 7)
    return dt.datetime.combine(monday, dt.time(9), CHINA_TZ)


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
    cities = cities_of(plan.policy)
    roles = cast(cities, plan.behaviours)
    known = {p for c in cities for p in c.catalogue.parties_by_id}
    admin = make_admin(settings.acting_as(principals.ADMIN))
    apply(admin, desired_topics([*sorted(known), "watchdog"], settings))
    # One serde (a registry reader) for every actor of the demo.
    serde = serde_for(settings.acting_as(principals.ROUTER))
    gate = StartGate()
    clock = SimulatedClock(monday_morning(dt.date.today()), plan.speed, monotonic=gate)
    run = Running(
        clock=clock,
        roles=roles,
        engines={},
        watchdog_engine=make_engine(f"sqlite:///{workdir / 'watchdog.db'}"),
        end_at=clock.start + dt.timedelta(days=plan.days),
        cities=cities,
    )
    parties = all_parties(cities, roles)
    wd_cfg = WatchdogConfig(
        poll_timeout_s=0.2, grace_s=0.5, gauge_interval_s=plan.sample_interval_s
    )
    # First, so that a port already taken stops the demo before anything runs.
    groups = [ROUTER_GROUP, *(group_id(p) for p in parties), wd_cfg.group_id]
    run.monitoring = start_monitoring(settings, groups, plan.sample_interval_s)
    threads = []
    router = Router(settings, serde, _directory(plan, cities), instance="demo", stop=run.stop)
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
    gate.release()
    threads.append(_thread(lambda: _act(settings, plan, run, serde), run.errors, "actors"))
    return run, threads


def _directory(plan: DemoPlan, cities: Sequence[City]) -> CatalogueDirectory | RegionalDirectory:
    """Routing by each event's region under a policy map; else by the one catalogue."""
    if is_policy_map(plan.policy):
        return RegionalDirectory(load_regions(plan.policy))
    return CatalogueDirectory(cities[0].catalogue)


def _act(settings: Settings, plan: DemoPlan, run: Running, serde: Serde) -> None:
    """The people and systems around the bus: the bureaus publish, officers claim."""
    rng = random.Random(plan.seed)
    serial0 = rng.randrange(10_000, 90_000) * 10  # case keys differ from earlier runs
    results = _publish_results(settings, plan, run, serde, rng, serial0)
    # Each city's first department pushes penalties back to its own bureau, on day two.
    per_city = -(-plan.penalties // len(run.cities))
    pushers = {c.region: next(r for r in run.roles if r.city == c.region) for c in run.cities}
    pushed = {
        region: [r for r in results if r.matter.code == role.matter and r.envelope.region == region]
        for region, role in pushers.items()
    }
    pushed = {region: rs[:per_city] for region, rs in pushed.items()}
    penalties_due = run.clock.start + dt.timedelta(days=1)
    relays = {
        p: OutboxRelay.from_settings(e, settings.acting_as(p)) for p, e in run.engines.items()
    }
    while not run.stop.is_set() and run.clock.now() < run.end_at:
        if pushed and run.clock.now() >= penalties_due:
            for region, causes in pushed.items():
                _push_penalties(settings, run, serde, pushers[region].party, causes, serial0, rng)
            pushed = {}
        for role in run.roles:
            if role.claim_at is not None:
                _officer_claims(run, serde, role.party, role.claim_at, relays[role.party])
        # Each bureau's officer claims part of the penalties (a stable half of case-key hashes
        # on average); the rest end as breach reports where the city's rules say so.
        for city in run.cities:
            bureau = city.approval
            _officer_claims(run, serde, bureau, _five_hours_later, relays[bureau], every=2)
        run.stop.wait(0.2)
    _settle(run)
    run.stop.set()


def _publish_results(
    settings: Settings,
    plan: DemoPlan,
    run: Running,
    serde: Serde,
    rng: random.Random,
    serial0: int,
) -> list[ApprovalResult]:
    """Each city's bureau publishes approval results, one department after the other."""
    results = []
    with ExitStack() as stack:
        bureaus = {
            c.region: stack.enter_context(Publisher(c.approval, settings, serde))
            for c in run.cities
        }
        for i in range(plan.results):
            role = run.roles[i % len(run.roles)]
            city = run.city(role.city)
            event = approval_result(
                city.catalogue.matter(role.matter),
                serial0 + i,
                sender=city.approval,
                region=city.region,
                decided_at=run.clock.now(),
                rng=rng,
                issuer=city.issuer,
            )
            bureaus[city.region].publish(event)
            results.append(event)
            run.published[role.party] = run.published.get(role.party, 0) + 1
    return results


def _push_penalties(
    settings: Settings,
    run: Running,
    serde: Serde,
    pusher: str,
    causes: Sequence[ApprovalResult],
    serial0: int,
    rng: random.Random,
) -> None:
    """``pusher`` pushes a penalty on each of ``causes`` back to the bureau that sent it."""
    if not causes:
        return
    with Publisher(pusher, settings, serde) as dept:
        dept.publish_many(
            [
                supervision_action(r, pusher, serial0 + i, at=run.clock.now(), rng=rng)
                for i, r in enumerate(causes)
            ]
        )
    bureau = causes[0].envelope.sender
    run.published[bureau] = run.published.get(bureau, 0) + len(causes)


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
    """Results published to a department; penalties pushed to a bureau."""
    delivered: int
    claimed: dict[str, int]
    pending: int
    reminders: int
    auto_claims: int
    breaches: int
    city: str = "371000"
    """The region code of the party's city."""


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
    behaviours = {r.party: r.behaviour for r in run.roles}
    behaviours |= {c.approval: "bureau" for c in run.cities}
    cities = {r.party: r.city for r in run.roles} | {c.approval: c.region for c in run.cities}
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
                run.published.get(party, 0),
                delivered,
                {str(k).lower(): v for k, v in counts.items()},  # shown as plain words
                pending,
                sum(v for k, v in mine.items() if k[2]),
                sum(v for k, v in mine.items() if k[1] == "auto-resolved"),
                sum(v for k, v in mine.items() if k[1] == "breached"),
                cities[party],
            )
        )
    return rows


@dataclass(frozen=True)
class CityTotal:
    """One city's figures in the summary: its departments' and its bureau's together."""

    city: str
    published: int
    delivered: int
    claimed: int
    pending: int
    reminders: int
    auto_claims: int
    breaches: int


def city_totals(rows: Sequence[Row]) -> list[CityTotal]:
    """The summary's rows added up per city, in the order cities first appear."""
    sums: dict[str, Counter[str]] = {}
    for r in rows:
        tally = sums.setdefault(r.city, Counter())
        tally.update(
            published=r.published,
            delivered=r.delivered,
            claimed=sum(r.claimed.values()),
            pending=r.pending,
            reminders=r.reminders,
            auto_claims=r.auto_claims,
            breaches=r.breaches,
        )
    return [
        CityTotal(
            city,
            t["published"],
            t["delivered"],
            t["claimed"],
            t["pending"],
            t["reminders"],
            t["auto_claims"],
            t["breaches"],
        )
        for city, t in sums.items()
    ]
