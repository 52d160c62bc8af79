"""Obligation gauges computed from the watchdog's SQL store.

Counting in SQL (rather than keeping counters in memory) makes the gauges right after a
restart and the same whichever watchdog instance answers the scrape. The watchdog refreshes
them in the background (:class:`GaugeRefresher`).
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection, Engine, func, select

from sgbus.bus.obligations.model import State
from sgbus.bus.store.tables import obligations
from sgbus.monitoring import labels
from sgbus.monitoring.cities import city
from sgbus.monitoring.metrics import (
    OBLIGATIONS_OPEN,
    OBLIGATIONS_OVERDUE,
    OBLIGATIONS_PROVISIONAL,
)

Key = tuple[str, str, str]  # (party, flow, city)
log = structlog.get_logger("sgbus.monitoring.obligation_gauges")


@dataclass(frozen=True)
class GroupCount:
    """Obligations sharing one combination of the facts the gauges depend on."""

    debtor: str
    flow: str
    state: str
    past_due: bool
    answered: bool
    provisional: bool
    count: int
    region: str | None = None
    """The obligations' region (their city is its entry of the policy map)."""


@dataclass(frozen=True)
class GaugeValues:
    """Values of the three obligation gauges, by (party, flow, city)."""

    open: dict[Key, int]
    overdue: dict[Key, int]
    provisional: dict[Key, int]


def gauge_values(groups: Iterable[GroupCount]) -> GaugeValues:
    """Fold grouped counts into gauge values.

    * open: state open and the deadline not reached;
    * overdue: deadline passed and nobody answered — still open because the sweep has not
      reached it, or breached without even a late answer (auto-resolved ones were answered
      by the system and are not overdue);
    * provisional: open (due or not) with a deadline from a provisional calendar year.
    """
    open_, overdue, provisional = Tally[Key](), Tally[Key](), Tally[Key]()
    for g in groups:
        key = (labels.party(g.debtor), labels.flow(g.flow), city(g.region))
        is_open = g.state == State.OPEN.value
        if is_open and not g.past_due:
            open_[key] += g.count
        if (is_open and g.past_due) or (g.state == State.BREACHED.value and not g.answered):
            overdue[key] += g.count
        if is_open and g.provisional:
            provisional[key] += g.count
    return GaugeValues(dict(open_), dict(overdue), dict(provisional))


def count_groups(conn: Connection, now: datetime) -> list[GroupCount]:
    """Grouped counts of the obligations that can affect a gauge (open or breached)."""
    past_due = (obligations.c.due_at <= now).label("past_due")
    answered = obligations.c.answered_at.is_not(None).label("answered")
    cols = (
        obligations.c.debtor,
        obligations.c.flow,
        obligations.c.state,
        past_due,
        answered,
        obligations.c.provisional,
        obligations.c.region,
    )
    q = (
        select(*cols, func.count().label("n"))
        .where(obligations.c.state.in_([State.OPEN.value, State.BREACHED.value]))
        .group_by(*cols)
    )
    return [
        GroupCount(
            r.debtor,
            r.flow,
            r.state,
            bool(r.past_due),
            bool(r.answered),
            bool(r.provisional),
            int(r.n),
            r.region,
        )
        for r in conn.execute(q)
    ]


_lock = threading.Lock()
_published: set[Key] = set()


def publish(values: GaugeValues) -> None:
    """Set the gauges; a (party, flow, city) seen before but absent now is set to zero, not
    left at its old value."""
    with _lock:
        keys = set(values.open) | set(values.overdue) | set(values.provisional) | _published
        for key in keys:
            OBLIGATIONS_OPEN.labels(*key).set(values.open.get(key, 0))
            OBLIGATIONS_OVERDUE.labels(*key).set(values.overdue.get(key, 0))
            OBLIGATIONS_PROVISIONAL.labels(*key).set(values.provisional.get(key, 0))
        _published.update(keys)


def refresh_obligation_gauges(conn: Connection, now: datetime) -> GaugeValues:
    """Count obligations in the store as of ``now`` and publish the gauges."""
    values = gauge_values(count_groups(conn, now))
    publish(values)
    return values


class GaugeRefresher:
    """Refreshes the obligation gauges every ``interval_s`` on a daemon thread, with its own
    connection, so the service's loop does not stop for the count: about a second for
    1,000,000 obligations, spent mostly inside the database where the loop can run meanwhile.
    """

    def __init__(self, engine: Engine, now: Callable[[], datetime], interval_s: float) -> None:
        self._engine = engine
        self._now = now
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sgbus-gauges", daemon=True)

    def start(self) -> GaugeRefresher:
        """Refresh now and then every interval; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop refreshing; waits for a refresh in progress."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._engine.connect() as conn:
                    refresh_obligation_gauges(conn, self._now())
            except Exception as exc:  # a busy or restarting database: try again next time
                log.warning("obligation gauges not refreshed", error=type(exc).__name__)
            self._stop.wait(self._interval_s)
