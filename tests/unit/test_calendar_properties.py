"""Properties of the deadline arithmetic that must hold for any instant and period."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from sgbus.bus.calendar import CHINA_TZ, default_calendar

CAL = default_calendar()
instants = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-12, max_value=14).map(lambda h: timezone(timedelta(hours=h)))
periods = st.integers(min_value=0, max_value=30)


@settings(max_examples=150, deadline=None)
@given(instants, instants, periods)
def test_a_later_event_never_gets_an_earlier_deadline(a: datetime, b: datetime, n: int) -> None:
    first, second = sorted((a, b))
    assert CAL.deadline(first, n).due_at <= CAL.deadline(second, n).due_at


@settings(max_examples=150, deadline=None)
@given(instants, periods)
def test_a_longer_period_ends_strictly_later(event: datetime, n: int) -> None:
    assert CAL.deadline(event, n).due_at < CAL.deadline(event, n + 1).due_at


@settings(max_examples=150, deadline=None)
@given(instants, st.integers(min_value=1, max_value=30), offsets)
def test_deadline_shape(event: datetime, n: int, tz: timezone) -> None:
    due = CAL.deadline(event.astimezone(tz), n)
    assert due.due_at.utcoffset() == timedelta(hours=8)
    assert due.due_at.timetz().replace(tzinfo=None) == time(0)
    assert CAL.is_working_day(due.last_day)
    assert due.last_day > event.astimezone(CHINA_TZ).date()
    assert due == CAL.deadline(event, n)  # the input's offset never changes the result


@settings(max_examples=150, deadline=None)
@given(instants, instants, st.integers(min_value=1, max_value=30))
def test_elapsed_working_days_agree_with_deadlines(a: datetime, b: datetime, n: int) -> None:
    start, end = sorted((a, b))
    used = CAL.working_days_used(start, end)
    due = CAL.deadline(start, n).due_at
    if used <= n - 1:
        assert end < due
    if end < due:
        assert used <= n


@settings(max_examples=150, deadline=None)
@given(instants, st.integers(min_value=0, max_value=30))
def test_backwards_undoes_forwards_from_a_working_day(event: datetime, n: int) -> None:
    day = event.astimezone(CHINA_TZ).date()
    if CAL.is_working_day(day):
        assert CAL.subtract_working_days(CAL.add_working_days(day, n), n) == day


@settings(max_examples=100, deadline=None)
@given(instants, instants)
def test_working_time_never_exceeds_wall_time(a: datetime, b: datetime) -> None:
    start, end = sorted((a, b))
    spent = CAL.working_time_between(start, end)
    assert timedelta(0) <= spent <= end - start
    whole_days = CAL.working_days_used(start, end)
    assert spent <= (whole_days + 1) * timedelta(days=1)
