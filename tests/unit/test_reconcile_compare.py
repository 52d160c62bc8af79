"""Reconciliation logic: register rows and bus facts in, findings out (no store, no files).

Hand-worked deadlines (威海 preset: the push is due 及时, 3 working days by default, from
00:00 of the decision date; the official 2026 calendar has National Day 10-01..07 off and
Saturday 10-10 as a working day):
decision Wed 2026-09-30 → working days 10-08, 10-09, 10-10 → due before Sun 10-11 00:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from sgbus.bus.calendar import default_calendar
from sgbus.bus.policy import load_policy
from sgbus.reconcile.compare import Rules, in_period, reconcile
from sgbus.reconcile.model import ClaimScope, ClaimState, Decision, Delivery, TimeBasis

REGION = "371000"
NOW = datetime.fromisoformat("2026-11-02T10:00:00+08:00")


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00")


def decision(row: int, n: int, decided: str = "2026-09-30") -> Decision:
    number = f"威审批〔2026〕{n}号"
    return Decision(row, f"{REGION}:{number}", number, REGION, date.fromisoformat(decided))


def delivered(
    d: Decision,
    party: str,
    received: str,
    *,
    occurred: str | None = None,
    claimed: str | None = None,
    auto: str | None = None,
    due: str | None = "2026-10-20T00:00:00",
    pooled: bool = False,
    event: str = "e1",
) -> Delivery:
    return Delivery(
        event_id=f"{d.row}-{event}",
        case_key=d.case_key,
        party=party,
        occurred_at=at(occurred or received),
        received_at=at(received),
        pooled=pooled,
        claimed_at=at(claimed) if claimed else None,
        auto_claimed_at=at(auto) if auto else None,
        claim_due_at=at(due) if due else None,
    )


def rules(policy: str = "weihai", **kw: object) -> Rules:
    return Rules(load_policy(policy), default_calendar(), NOW, **kw)  # type: ignore[arg-type]


def test_a_decision_with_no_result_on_the_bus_is_never_pushed() -> None:
    d1, d2 = decision(2, 1), decision(3, 2)
    facts = [delivered(d2, "weihai-market", "2026-09-30T15:00:00", claimed="2026-10-08T09:00:00")]
    found = reconcile([d1, d2], facts, rules())
    assert [f.decision.row for f in found.never_pushed] == [2]
    assert found.never_pushed[0].due_at == at("2026-10-11T00:00:00")
    assert not found.pushed_late and not found.never_claimed and found.compared == 2


@pytest.mark.parametrize(
    ("pushed", "late_by"),
    [
        ("2026-10-10T17:00:00", None),  # the make-up Saturday is the third working day
        ("2026-10-11T09:00:00", 0),  # the Sunday after: late, no working day lost yet
        ("2026-10-12T09:00:00", 1),
        ("2026-10-14T09:00:00", 3),
    ],
)
def test_lateness_counts_working_days_across_national_day(pushed: str, late_by: int | None) -> None:
    d = decision(2, 1)
    facts = [delivered(d, "weihai-market", pushed, claimed="2026-10-15T09:00:00")]
    found = reconcile([d], facts, rules())
    if late_by is None:
        assert not found.pushed_late
    else:
        (late,) = found.pushed_late
        assert late.due_at == at("2026-10-11T00:00:00")
        assert late.pushed_at == at(pushed)
        assert late.working_days_late == late_by


def test_the_first_result_counts_and_a_resend_does_not_make_it_late() -> None:
    d = decision(2, 1)
    facts = [
        delivered(d, "weihai-market", "2026-10-09T09:00:00", claimed="2026-10-09T10:00:00"),
        delivered(d, "weihai-market", "2026-10-20T09:00:00", event="resend"),
    ]
    assert not reconcile([d], facts, rules()).pushed_late


def test_the_time_basis_is_the_routers_or_the_senders() -> None:
    d = decision(2, 1)
    # Stamped on time by the sender, reached the router after the deadline.
    facts = [
        delivered(
            d,
            "weihai-market",
            "2026-10-12T09:00:00",
            occurred="2026-10-09T18:00:00",
            claimed="2026-10-12T10:00:00",
        )
    ]
    assert len(reconcile([d], facts, rules()).pushed_late) == 1
    assert not reconcile([d], facts, rules(basis=TimeBasis.OCCURRED)).pushed_late


def test_same_day_policy_is_late_the_next_morning() -> None:
    d = decision(2, 1, "2026-10-09")
    facts = [delivered(d, "anqiu-market", "2026-10-10T08:00:00", claimed="2026-10-10T09:00:00")]
    (late,) = reconcile([d], facts, rules("anqiu")).pushed_late
    assert late.due_at == at("2026-10-10T00:00:00") and late.working_days_late == 1


def test_pushed_on_time_but_one_department_never_claimed() -> None:
    d = decision(2, 1)
    facts = [
        delivered(d, "weihai-health", "2026-09-30T15:00:00", claimed="2026-10-08T09:00:00"),
        delivered(d, "weihai-market", "2026-09-30T15:00:00"),
    ]
    found = reconcile([d], facts, rules())
    assert not found.never_pushed and not found.pushed_late
    (miss,) = found.never_claimed
    assert miss.party == "weihai-market" and miss.state is ClaimState.OVERDUE
    assert miss.claim_due_at == at("2026-10-20T00:00:00")
    # Under scope "any", the health department's claim clears the decision.
    assert not reconcile([d], facts, rules(scope=ClaimScope.ANY)).never_claimed


def test_no_department_claimed_under_scope_any() -> None:
    d = decision(2, 1)
    facts = [
        delivered(d, "weihai-health", "2026-09-30T15:00:00", auto="2026-10-20T00:00:00"),
        delivered(d, "weihai-market", "2026-09-30T15:00:00"),
    ]
    (miss,) = reconcile([d], facts, rules(scope=ClaimScope.ANY)).never_claimed
    assert miss.party is None and miss.state is ClaimState.AUTO_CLAIMED
    assert miss.auto_claimed_at == at("2026-10-20T00:00:00")
    per_party = reconcile([d], facts, rules()).never_claimed
    assert [(m.party, m.state) for m in per_party] == [
        ("weihai-health", ClaimState.AUTO_CLAIMED),
        ("weihai-market", ClaimState.OVERDUE),
    ]


def test_claim_states_open_unclaimed_and_unassigned() -> None:
    d1, d2, d3 = decision(2, 1), decision(3, 2), decision(4, 3)
    facts = [
        delivered(d1, "weihai-market", "2026-10-30T15:00:00", due="2026-11-05T00:00:00"),
        delivered(d2, "weihai-market", "2026-09-30T15:00:00", due=None),
        delivered(d3, "weihai-oversight", "2026-09-30T15:00:00", pooled=True),
    ]
    found = reconcile([d1, d2, d3], facts, rules())
    states = {m.decision.row: (m.party, m.state) for m in found.never_claimed}
    assert states == {
        2: ("weihai-market", ClaimState.OPEN),
        3: ("weihai-market", ClaimState.UNCLAIMED),
        4: (None, ClaimState.UNASSIGNED),
    }


def test_a_duplicate_register_row_is_listed_and_compared_once() -> None:
    d1 = decision(2, 1)
    again = decision(5, 1, "2026-10-09")
    found = reconcile([d1, again], [], rules())
    assert found.compared == 1
    assert [f.decision.row for f in found.never_pushed] == [2]
    (dup,) = found.duplicates
    assert (dup.decision.row, dup.first_row, dup.same_date) == (5, 2, False)


def test_the_period_includes_both_ends() -> None:
    rows = [
        decision(2, 1, "2026-09-30"),
        decision(3, 2, "2026-10-31"),
        decision(4, 3, "2026-11-01"),
    ]
    kept = in_period(rows, date(2026, 9, 30), date(2026, 10, 31))
    assert [d.row for d in kept] == [2, 3]


def test_open_claim_becomes_overdue_when_the_clock_passes_the_deadline() -> None:
    d = decision(2, 1, "2026-10-30")
    facts = [delivered(d, "weihai-market", "2026-10-30T15:00:00", due="2026-11-05T00:00:00")]
    later = Rules(load_policy("weihai"), default_calendar(), NOW + timedelta(days=4))
    (miss,) = reconcile([d], facts, later).never_claimed
    assert miss.state is ClaimState.OVERDUE
