"""The status report (通报) as numbers: pure functions over obligation facts, no I/O.

Definitions, per debtor party and flow, for obligations *opened* in the period. What "answered"
means depends on the flow — a push for ``approval-push``, a claim for ``claim``, a reply for
``consultation-reply`` (:mod:`.labels`):

* received — obligations opened (items the party had to answer);
* on time — answered before the deadline (state ``discharged``);
* late — answered, but after the deadline (state ``breached`` with an answer);
* auto-resolved — the system answered for the party at the deadline: auto-claim, or deemed
  consent for consultation letters (state ``auto-resolved``);
* still open — not answered, deadline not yet enforced (state ``open``);
* disputed — the party disputes the item (争议), its clock is stopped until the oversight
  office rules (state ``suspended``);
* transferred — passed on in time to another department (转办, or a ruling gave it to
  another): not a breach, and the receiver's own obligation is counted for the receiver
  (state ``transferred``);
* breaches — deadline missed under a breach-report or escalation policy (state ``breached``,
  answered late or not at all; so late ⊆ breaches);
* median time — median working hours from opening to the party's answer, over answered
  obligations (on time or late; auto-claims have no answer of the party).

received = on time + auto-resolved + breaches + still open + disputed + transferred. The
on-time rate of a party is on time ÷ (on time + auto-resolved + breaches): open, disputed and
transferred items are not judged. Parties whose rate is under the report's threshold are
*named* (点名通报) first; officers' actions per party are in :mod:`.actions`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from sgbus.bus.catalogue.names import display_name, labelled
from sgbus.bus.obligations.model import State
from sgbus.monitoring.report.actions import ActionCounts, count_actions
from sgbus.monitoring.report.facts import ObligationFacts
from sgbus.monitoring.report.periods import period_label
from sgbus.monitoring.report.workhours import CHINA_TZ, working_hours_between

__all__ = ["ActionCounts", "Line", "ObligationFacts", "Report", "build_report", "period_bounds"]

#: Parties whose on-time rate is under this are named first (override: ``--name-below``,
#: ``SGBUS_REPORT_NAME_BELOW``). 青海's monthly 通报 names units late more than half the time:
#: ``0.5``.
DEFAULT_NAME_BELOW = 0.9


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
    """Median working hours to the party's answer (a claim, push, reply…)."""
    disputed: int = 0
    transferred: int = 0

    @property
    def closed(self) -> int:
        """Obligations whose outcome is final."""
        return self.on_time + self.auto_claimed + self.breaches

    @property
    def on_time_rate(self) -> float | None:
        """On time ÷ closed; None when nothing is closed yet."""
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
    actions: list[ActionCounts] = field(default_factory=list)
    """Officers' actions per party taken in the period (parties with any)."""
    action_total: ActionCounts = field(default_factory=lambda: ActionCounts("*"))
    names: Mapping[str, str] = field(default_factory=dict)
    """Official names by party id, for the reader (the catalogue's)."""
    name_below: float = DEFAULT_NAME_BELOW

    @property
    def period(self) -> str:
        """The period as a 通报 titles it: ``2026年11月``, ``2026年第四季度``, or two dates."""
        return period_label(self.start, self.end)

    @property
    def named(self) -> list[Line]:
        """Party totals whose on-time rate is under :attr:`name_below`, lowest first."""
        rated = [(t.on_time_rate, t) for t in self.party_totals if t.on_time_rate is not None]
        below = [(rate, t.party, t) for rate, t in rated if rate < self.name_below]
        return [t for _, _, t in sorted(below, key=lambda x: (x[0], x[1]))]

    def name_of(self, party: str) -> str:
        """The party's Chinese name (its id when unknown)."""
        return display_name(self.names, party)

    def labelled(self, party: str) -> str:
        """The party's name with its id beside it."""
        return labelled(self.names, party)

    def actions_of(self, party: str) -> ActionCounts:
        """The party's actions in the period (all zero when it took or received none)."""
        return next((a for a in self.actions if a.party == party), ActionCounts(party))


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
        disputed=states[State.SUSPENDED],
        transferred=states[State.TRANSFERRED],
    )


def build_report(
    facts: Iterable[ObligationFacts],
    start: date,
    end: date,
    generated_at: datetime,
    hours: HoursFn = working_hours_between,
    *,
    names: Mapping[str, str] | None = None,
    name_below: float = DEFAULT_NAME_BELOW,
) -> Report:
    """Aggregate obligations opened in the period, and actions taken in it, into the report.

    ``facts`` may hold obligations opened before the period: only their actions in the period
    count. ``names`` gives the parties' names; ``name_below`` the rate under which a party is
    named."""
    if not 0.0 <= name_below <= 1.0:
        raise ValueError(f"name_below {name_below} is not a rate between 0 and 1")
    every = list(facts)
    lo, hi = period_bounds(start, end)
    rows = [f for f in every if lo <= f.opened_at < hi]
    by_line: dict[tuple[str, str], list[ObligationFacts]] = defaultdict(list)
    by_party: dict[str, list[ObligationFacts]] = defaultdict(list)
    for f in rows:
        by_line[(f.debtor, f.flow)].append(f)
        by_party[f.debtor].append(f)
    per_day = Counter(f.opened_at.astimezone(CHINA_TZ).date() for f in rows)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    actions, action_total = count_actions(every, lo, hi)
    return Report(
        start=start,
        end=end,
        generated_at=generated_at,
        lines=[summarise(p, fl, by_line[(p, fl)], hours) for p, fl in sorted(by_line)],
        party_totals=[summarise(p, "*", by_party[p], hours) for p in sorted(by_party)],
        total=summarise("*", "*", rows, hours),
        daily=[(d, per_day[d]) for d in days],
        actions=actions,
        action_total=action_total,
        names=dict(names or {}),
        name_below=name_below,
    )
