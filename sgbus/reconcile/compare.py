"""Register rows and bus facts in, findings out. Pure: no database, no files, no clock.

A decision is matched to the bus by its case key (:func:`sgbus.bus.events.approval_case_key`).
Its push is due under the policy's ``approval-push`` rule, counted from 00:00 Asia/Shanghai of
the decision date, as the watchdog counts it; the push is the *first* approval result of the
case to reach the bus (a re-send does not make an on-time push late, nor a late one on time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sgbus.bus.calendar import Deadline, WorkingCalendar
from sgbus.bus.calendar.timeutil import china_midnight
from sgbus.bus.policy import Flow, Policy
from sgbus.reconcile.model import (
    ClaimScope,
    ClaimState,
    Decision,
    Delivery,
    Duplicate,
    Findings,
    NeverClaimed,
    NeverPushed,
    PushedLate,
    TimeBasis,
)

PUSH_FLOW = Flow.APPROVAL_PUSH.value


@dataclass(frozen=True)
class Rules:
    """How to judge: the policy and calendar of the push deadline, the clock, the options."""

    policy: Policy
    calendar: WorkingCalendar
    now: datetime
    basis: TimeBasis = TimeBasis.RECEIVED
    scope: ClaimScope = ClaimScope.EACH


def in_period(decisions: Iterable[Decision], first: date, last: date) -> list[Decision]:
    """The decisions taken from ``first`` to ``last``, both included."""
    return [d for d in decisions if first <= d.decision_date <= last]


def split_duplicates(decisions: Sequence[Decision]) -> tuple[list[Decision], list[Duplicate]]:
    """The first row of each case key, and the later rows repeating one."""
    first: dict[str, Decision] = {}
    dupes: list[Duplicate] = []
    for d in decisions:
        seen = first.get(d.case_key)
        if seen is None:
            first[d.case_key] = d
        else:
            dupes.append(Duplicate(d, seen.row, d.decision_date == seen.decision_date))
    return list(first.values()), dupes


def push_deadline(decision: Decision, rules: Rules) -> Deadline:
    """When the approval result of ``decision`` is due on the bus (exclusive)."""
    anchor = china_midnight(decision.decision_date)
    return rules.policy.deadline(PUSH_FLOW, anchor, rules.calendar)


def reconcile(
    decisions: Sequence[Decision], deliveries: Iterable[Delivery], rules: Rules
) -> Findings:
    """Compare ``decisions`` (already limited to the period) with ``deliveries``."""
    unique, dupes = split_duplicates(decisions)
    by_case: dict[str, list[Delivery]] = defaultdict(list)
    for d in deliveries:
        by_case[d.case_key].append(d)
    out = Findings(compared=len(unique), duplicates=dupes)
    for decision in unique:
        due = push_deadline(decision, rules)
        got = by_case.get(decision.case_key, [])
        if not got:
            out.never_pushed.append(NeverPushed(decision, due.due_at, due.provisional))
            continue
        pushed_at = min(_time(d, rules.basis) for d in got)
        if pushed_at >= due.due_at:
            late = _working_days_late(due.due_at, pushed_at, rules.calendar)
            out.pushed_late.append(
                PushedLate(decision, pushed_at, due.due_at, due.provisional, late)
            )
        out.never_claimed += unclaimed(decision, got, rules)
    return out


def _time(d: Delivery, basis: TimeBasis) -> datetime:
    return d.received_at if basis is TimeBasis.RECEIVED else d.occurred_at


def _working_days_late(due_at: datetime, pushed_at: datetime, cal: WorkingCalendar) -> int:
    """Working days from the first day past the deadline to the push day, both included (a
    push on the Sunday after a Friday deadline is late by 0 working days)."""
    return cal.working_days_used(due_at - timedelta(days=1), pushed_at)


@dataclass(frozen=True)
class _PartyView:
    party: str
    received_at: datetime
    state: ClaimState | None  # None: the party claimed it
    auto_claimed_at: datetime | None
    claim_due_at: datetime | None


def unclaimed(decision: Decision, got: Sequence[Delivery], rules: Rules) -> list[NeverClaimed]:
    """The never-claimed findings of one pushed decision, under ``rules.scope``."""
    views = _party_views([d for d in got if not d.pooled], rules.now)
    if not views:
        received = min(d.received_at for d in got)
        return [NeverClaimed(decision, None, received, ClaimState.UNASSIGNED)]
    if rules.scope is ClaimScope.EACH:
        return [
            NeverClaimed(
                decision, v.party, v.received_at, v.state, v.auto_claimed_at, v.claim_due_at
            )
            for v in views
            if v.state is not None
        ]
    if any(v.state is None for v in views):
        return []
    first = min(views, key=lambda v: v.received_at)
    autos = [v.auto_claimed_at for v in views if v.auto_claimed_at is not None]
    dues = [v.claim_due_at for v in views if v.claim_due_at is not None]
    return [
        NeverClaimed(
            decision,
            None,
            first.received_at,
            _combined_state([v.state for v in views if v.state is not None]),
            min(autos) if autos else None,
            max(dues) if dues else None,
        )
    ]


_PRECEDENCE = (ClaimState.OPEN, ClaimState.AUTO_CLAIMED, ClaimState.OVERDUE, ClaimState.UNCLAIMED)


def _combined_state(states: Sequence[ClaimState]) -> ClaimState:
    """For scope ``any``: still open if one department may yet claim, else auto-claimed if the
    platform claimed for one, else overdue."""
    return next(s for s in _PRECEDENCE if s in states)


def _party_views(deliveries: Sequence[Delivery], now: datetime) -> list[_PartyView]:
    per_party: dict[str, list[Delivery]] = defaultdict(list)
    for d in deliveries:
        per_party[d.party].append(d)
    return [_view(party, ds, now) for party, ds in sorted(per_party.items())]


def _view(party: str, ds: Sequence[Delivery], now: datetime) -> _PartyView:
    received = min(d.received_at for d in ds)
    autos = [d.auto_claimed_at for d in ds if d.auto_claimed_at is not None]
    dues = [d.claim_due_at for d in ds if d.claim_due_at is not None]
    due = min(dues) if dues else None
    auto = min(autos) if autos else None
    state: ClaimState | None
    if any(d.claimed_at is not None for d in ds):
        state = None
    elif auto is not None:
        state = ClaimState.AUTO_CLAIMED
    elif due is None:
        state = ClaimState.UNCLAIMED
    else:
        state = ClaimState.OVERDUE if now >= due else ClaimState.OPEN
    return _PartyView(party, received, state, auto, due)
