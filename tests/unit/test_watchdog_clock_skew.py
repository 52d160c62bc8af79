"""Sender clock skew: an event far from its audit record's timestamp is timed at the latter,
whichever way the sender's clock is wrong (no broker, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sgbus.bus.calendar import default_calendar
from sgbus.bus.obligations.ingest import Ingestor, event_time
from sgbus.bus.obligations.machine import answer, open_obligation
from sgbus.bus.obligations.model import State
from sgbus.bus.policy import load_preset
from tests.watchdog_kit import Scene, at, audit, city_catalogue

TOLERANCE = timedelta(minutes=5)
APPENDED = at("2026-11-03", "10:00")


@pytest.mark.parametrize(
    ("offset", "timed_at_append"),
    [
        (timedelta(0), False),
        (timedelta(minutes=4), False),
        (-timedelta(minutes=4), False),
        (TOLERANCE, False),  # exactly the tolerance still counts as the sender said
        (-TOLERANCE, False),
        (TOLERANCE + timedelta(seconds=1), True),  # post-dated
        (-TOLERANCE - timedelta(seconds=1), True),  # backdated
        (timedelta(days=3), True),
        (-timedelta(days=3), True),
    ],
)
def test_event_time_is_the_append_time_beyond_the_tolerance_either_way(
    offset: timedelta, timed_at_append: bool
) -> None:
    occurred = APPENDED + offset
    expected = APPENDED if timed_at_append else occurred
    assert event_time(occurred, APPENDED, TOLERANCE) == expected


def test_without_append_time_or_tolerance_occurred_at_counts() -> None:
    far = APPENDED - timedelta(days=30)
    assert event_time(far, None, TOLERANCE) == far
    assert event_time(far, APPENDED, None) == far


def _ingestor(tolerance: timedelta | None = TOLERANCE) -> Ingestor:
    return Ingestor(load_preset("anqiu"), default_calendar(), city_catalogue("anqiu"), tolerance)


def test_a_late_department_cannot_backdate_its_claim() -> None:
    s = Scene("anqiu")
    ing = _ingestor()
    ev = s.approval_result(1, at("2026-11-02", "10:00"))
    opened = ing.ingest(replace(audit(ev), appended_at=at("2026-11-02", "10:00")))
    ob = open_obligation(next(o for o in opened.openings if o.flow == "claim"))
    late = ob.opening.due_at + timedelta(days=2)
    # The claim says it was made the day after the result; the bus got it two days past due.
    claim = s.claim(2, ev, "market", at("2026-11-03", "09:00"))
    got = ing.ingest(replace(audit(claim), appended_at=late))
    [ans] = got.answers
    assert ans.answered_at == late
    after, _ = answer(ob, ans)
    assert after.state is not State.DISCHARGED  # late: anqiu auto-claims at expiry
    # Without the append time (or within the tolerance) the sender's time stands.
    [trusted] = ing.ingest(audit(claim)).answers
    assert trusted.answered_at == claim.envelope.occurred_at
    assert answer(ob, trusted)[0].state is State.DISCHARGED


def test_a_post_dated_answer_is_timed_when_the_bus_got_it() -> None:
    s = Scene("anqiu")
    ev = s.approval_result(1, at("2026-11-02", "10:00"))
    appended = at("2026-11-03", "09:00")
    claim = s.claim(2, ev, "market", appended + timedelta(hours=6))  # a clock six hours fast
    [ans] = _ingestor().ingest(replace(audit(claim), appended_at=appended)).answers
    assert ans.answered_at == appended
    small = s.claim(3, ev, "market", appended + timedelta(minutes=2))
    [ok] = _ingestor().ingest(replace(audit(small), appended_at=appended)).answers
    assert ok.answered_at == small.envelope.occurred_at


def test_a_request_time_too_far_from_the_append_time_counts_from_the_append_time() -> None:
    # A bureau clock a day slow would otherwise shorten every department's claim period.
    s = Scene("anqiu")
    appended = at("2026-11-03", "10:00")
    ev = s.approval_result(1, appended - timedelta(days=1), decided=appended.date())
    got = _ingestor().ingest(replace(audit(ev), appended_at=appended))
    claim = next(o for o in got.openings if o.flow == "claim")
    assert claim.opened_at == appended
    plain = _ingestor(None).ingest(replace(audit(ev), appended_at=appended))
    assert next(o for o in plain.openings if o.flow == "claim").opened_at == ev.envelope.occurred_at


def test_the_tolerance_survives_a_calendar_reload() -> None:
    assert _ingestor().with_calendar(default_calendar()).skew_tolerance == TOLERANCE
