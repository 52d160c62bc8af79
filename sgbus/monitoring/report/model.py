"""The status report (通报) as numbers: pure functions over obligation facts, no I/O.

Definitions, per debtor party and flow, for obligations *opened* in the period:

* received — obligations opened (items the party had to answer);
* claimed on time — answered before the deadline (state ``discharged``);
* claimed late — answered, but after the deadline (state ``breached`` with an answer);
* auto-claimed — the system answered for the party at the deadline: auto-claim, or deemed
  consent for consultation letters (state ``auto-resolved``);
* still open — not answered, deadline not yet enforced (state ``open``);
* breaches — deadline missed under a breach-report or escalation policy (state ``breached``,
  answered late or not at all; so claimed late ⊆ breaches);
* median claim time — median working hours from opening to the party's answer, over answered
  obligations (on time or late; auto-claims have no answer of the party).

received = claimed on time + auto-claimed + breaches + still open. The on-time rate of a
party is claimed on time ÷ (claimed on time + auto-claimed + breaches): open items are not
judged yet.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from sgbus.bus.obligations.model import State
from sgbus.monitoring.report.workhours import CHINA_TZ, working_hours_between


@dataclass(frozen=True)
class ObligationFacts:
    """What the report needs of one stored obligation."""

    flow: str
    debtor: str
    opened_at: datetime
    due_at: datetime
    state: str
    answered_at: datetime | None


@dataclass(frozen=True)
class Line:
    """One row of the report: a party and flow (or ``flow == "*"`` for a party's total)."""

    party: str
    flow: str
    received: int
    on_time: int
    late: int
    auto_claimed: int
    still_open: int
    breaches: int
    median_claim_hours: float | None

    @property
    def closed(self) -> int:
        """Obligations whose outcome is final."""
        return self.on_time + self.auto_claimed + self.breaches

    @property
    def on_time_rate(self) -> float | None:
        """Claimed on time ÷ closed; None when nothing is closed yet."""
        return self.on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class Report:
    """The whole report for the period ``start``..``end`` (both inclusive, Asia/Shanghai)."""

    start: date
    end: date
    generated_at: datetime
    lines: list[Line]
    party_totals: list[Line]
    total: Line
    daily: list[tuple[date, int]] = field(default_factory=list)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants ``[start 00:00, end+1 00:00)`` in Asia/Shanghai."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    lo = datetime(start.year, start.month, start.day, tzinfo=CHINA_TZ)
    return lo, datetime(end.year, end.month, end.day, tzinfo=CHINA_TZ) + timedelta(days=1)


HoursFn = Callable[[datetime, datetime], float]


def summarise(party: str, flow: str, facts: Sequence[ObligationFacts], hours: HoursFn) -> Line:
    """The report line of ``facts`` (all of one party and flow, or a party's total)."""
    states = Counter(f.state for f in facts)
    answered = [f for f in facts if f.answered_at is not None and f.state != State.AUTO_RESOLVED]
    late = sum(1 for f in answered if f.state == State.BREACHED)
    claim_hours = [hours(f.opened_at, f.answered_at) for f in answered if f.answered_at]
    return Line(
        party=party,
        flow=flow,
        received=len(facts),
        on_time=states[State.DISCHARGED],
        late=late,
        auto_claimed=states[State.AUTO_RESOLVED],
        still_open=states[State.OPEN],
        breaches=states[State.BREACHED],
        median_claim_hours=median(claim_hours) if claim_hours else None,
    )


def build_report(
    facts: Iterable[ObligationFacts],
    start: date,
    end: date,
    generated_at: datetime,
    hours: HoursFn = working_hours_between,
) -> Report:
    """Aggregate obligations opened in the period into the report."""
    lo, hi = period_bounds(start, end)
    rows = [f for f in facts if lo <= f.opened_at < hi]
    by_line: dict[tuple[str, str], list[ObligationFacts]] = defaultdict(list)
    by_party: dict[str, list[ObligationFacts]] = defaultdict(list)
    for f in rows:
        by_line[(f.debtor, f.flow)].append(f)
        by_party[f.debtor].append(f)
    per_day = Counter(f.opened_at.astimezone(CHINA_TZ).date() for f in rows)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Report(
        start=start,
        end=end,
        generated_at=generated_at,
        lines=[summarise(p, fl, by_line[(p, fl)], hours) for p, fl in sorted(by_line)],
        party_totals=[summarise(p, "*", by_party[p], hours) for p in sorted(by_party)],
        total=summarise("*", "*", rows, hours),
        daily=[(d, per_day[d]) for d in days],
    )
