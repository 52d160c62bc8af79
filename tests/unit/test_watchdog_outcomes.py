"""Outcome events, clocks and audit headers of the watchdog (no broker, no database)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sgbus.bus import headers as h
from sgbus.bus.calendar import default_calendar
from sgbus.bus.events import (
    AutoClaim,
    DeemedConsent,
    Escalation,
    ObligationBreach,
    ObligationReminder,
    event_type_of,
)
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.obligations.machine import expire, open_obligation, tick
from sgbus.bus.obligations.model import ExpiryAction, Opening, OutcomeKind, outcome_id
from sgbus.bus.obligations.outcomes import outcome_event, recipients
from sgbus.bus.policy import load_preset
from sgbus.bus.serde import build_serde
from sgbus.consumers.watchdog.clock import FixedClock, RealClock, SimulatedClock, make_clock
from tests.watchdog_kit import Scene, at, audit, city_catalogue


def claim_opening(city: str, action: ExpiryAction | None = None) -> Opening:
    s = Scene(city)
    ev = s.approval_result(1, at("2026-11-02"))
    ing = Ingestor(load_preset(city), default_calendar(), city_catalogue(city))
    o = next(o for o in ing.ingest(audit(ev)).openings if o.flow == "claim")
    if action is not None:
        o = replace(o, action=action, escalate_to=s.party("oversight"))
    return o


KINDS = [
    (ExpiryAction.AUTO_CLAIM, OutcomeKind.AUTO_CLAIM, AutoClaim),
    (ExpiryAction.DEEMED_CONSENT, OutcomeKind.DEEMED_CONSENT, DeemedConsent),
    (ExpiryAction.BREACH_REPORT, OutcomeKind.BREACH, ObligationBreach),
    (ExpiryAction.ESCALATE, OutcomeKind.ESCALATION, Escalation),
]


@pytest.mark.parametrize(("action", "kind", "cls"), KINDS)
def test_expiry_outcome_event(action: ExpiryAction, kind: OutcomeKind, cls: type) -> None:
    o = claim_opening("anqiu", action)
    reminder, final = expire(open_obligation(o))[1]
    assert reminder.kind is OutcomeKind.REMINDER and final.kind is kind
    ev = outcome_event(final, default_calendar())
    assert isinstance(ev, cls) and event_type_of(ev) == kind.value
    env = ev.envelope
    assert str(env.event_id) == final.event_id == outcome_id(o.id, kind)
    assert env.occurred_at == o.due_at and env.sender == "watchdog"
    assert env.case_key == o.case_key and env.region == o.region
    assert env.causation_id == uuid.UUID(o.request_event_id)
    ref = ev.obligation  # type: ignore[attr-defined]
    assert (ref.obligation_id, ref.flow, ref.debtor, ref.due_at) == (
        o.id,
        "claim",
        o.debtor,
        o.due_at,
    )
    expected = [o.debtor, o.creditor]
    if kind in (OutcomeKind.BREACH, OutcomeKind.ESCALATION):
        expected.append("anqiu-oversight")
    assert env.recipients == expected == recipients(final)


def test_payload_of_each_expiry_kind() -> None:
    cal = default_calendar()
    events = {}
    for action, kind, _ in KINDS:
        o = claim_opening("anqiu", action)
        events[kind] = outcome_event(expire(open_obligation(o))[1][-1], cal)
    auto = events[OutcomeKind.AUTO_CLAIM]
    assert isinstance(auto, AutoClaim)
    assert auto.claimed_on_behalf_of == "anqiu-market" and auto.claimed_at == at(
        "2026-11-06", "00:00"
    )
    consent = events[OutcomeKind.DEEMED_CONSENT]
    assert isinstance(consent, DeemedConsent)
    assert consent.letter_event_id == consent.obligation.trigger_event_id
    breach = events[OutcomeKind.BREACH]
    assert isinstance(breach, ObligationBreach) and breach.reported_to == ["anqiu-oversight"]
    esc = events[OutcomeKind.ESCALATION]
    assert isinstance(esc, Escalation) and (esc.escalated_to, esc.level) == ("anqiu-oversight", 1)


def test_reminder_counts_the_working_days_left() -> None:
    o = claim_opening("anqiu")
    assert o.remind_at == at("2026-11-05", "00:00") and o.due_at == at("2026-11-06", "00:00")
    _, (rem,) = tick(open_obligation(o), at("2026-11-05", "08:00"))
    ev = outcome_event(rem, default_calendar())
    assert isinstance(ev, ObligationReminder)
    assert ev.working_days_left == 1 and ev.envelope.occurred_at == o.remind_at
    assert ev.envelope.recipients == [o.debtor, o.creditor]
    assert ev.message is not None and "2026-11-06 00:00" in ev.message


def test_a_reminder_over_a_weekend_counts_working_days_only() -> None:
    s = Scene("yingkou")
    ev = s.approval_result(2, at("2026-11-05"))  # Thu: 2 WD → due Tue 10, remind 1 WD before
    ing = Ingestor(load_preset("yingkou"), default_calendar(), city_catalogue("yingkou"))
    o = next(o for o in ing.ingest(audit(ev)).openings if o.flow == "claim")
    assert (o.remind_at, o.due_at) == (at("2026-11-07", "00:00"), at("2026-11-10", "00:00"))
    _, (rem,) = tick(open_obligation(o), at("2026-11-08"))
    reminder = outcome_event(rem, default_calendar())
    assert isinstance(reminder, ObligationReminder) and reminder.working_days_left == 1


def test_outcome_events_are_identical_each_time_and_survive_the_serde() -> None:
    serde = build_serde(None)
    for action, _, _ in KINDS:
        out = expire(open_obligation(claim_opening("anqiu", action)))[1][-1]
        first = serde.encode(outcome_event(out, default_calendar()), "t")
        assert first == serde.encode(outcome_event(out, default_calendar()), "t")
        assert serde.decode(first, "t") == outcome_event(out, default_calendar())


# -- clocks ---------------------------------------------------------------------------------


def test_simulated_clock_runs_faster() -> None:
    t = [100.0]
    start = datetime(2026, 11, 2, tzinfo=UTC)
    clock = SimulatedClock(start, 3600.0, monotonic=lambda: t[0])
    assert clock.now() == start
    t[0] += 2.5
    assert clock.now() == start + timedelta(hours=2.5)


def test_make_clock_choices() -> None:
    t = datetime(2026, 11, 2, tzinfo=UTC)
    assert isinstance(make_clock(None, None), RealClock)
    fixed = make_clock(t, None)
    assert isinstance(fixed, FixedClock) and fixed.now() == t
    sim = make_clock(t, 10.0)
    assert isinstance(sim, SimulatedClock) and sim.start == t
    with pytest.raises(ValueError, match="UTC offset"):
        make_clock(datetime(2026, 11, 2), None)
    with pytest.raises(ValueError, match="positive"):
        SimulatedClock(t, 0)


# -- headers --------------------------------------------------------------------------------


def test_delivered_to_round_trip_and_unassigned_flag() -> None:
    value = h.format_parties(["a-b", "c-d", "a-b"])
    assert value == "a-b,c-d"
    assert h.parse_parties(value) == ("a-b", "c-d")
    assert h.parse_parties(" a-b , ,c-d ") == ("a-b", "c-d")
    assert h.parse_parties(None) == () and h.parse_parties("") == ()
    hdrs = h.header_map([(h.UNASSIGNED, b"1"), (h.DELIVERED_TO, "x-y"), ("other", None)])
    assert h.is_unassigned(hdrs) and hdrs[h.DELIVERED_TO] == "x-y" and "other" not in hdrs
    assert not h.is_unassigned(h.header_map([(h.UNASSIGNED, b"0")]))
