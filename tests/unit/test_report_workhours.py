"""Working hours between two instants: only time on working days counts, 24 h per day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sgbus.bus.calendar import WorkingCalendar, parse_override
from sgbus.monitoring.report.workhours import CHINA_TZ, working_hours_between


def cst(*a: int) -> datetime:
    return datetime(*a, tzinfo=CHINA_TZ)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (cst(2026, 11, 20, 16), cst(2026, 11, 23, 9), 17.0),  # Friday 16:00 → Monday 09:00
        (cst(2026, 11, 17, 9), cst(2026, 11, 17, 11, 30), 2.5),  # same working day
        (cst(2026, 11, 21, 9), cst(2026, 11, 22, 20), 0.0),  # Saturday → Sunday
        (cst(2026, 11, 16, 0), cst(2026, 11, 23, 0), 120.0),  # a whole week: 5 working days
        # National Day 2026: 1–7 Oct off by the State Council schedule
        (cst(2026, 9, 30, 16), cst(2026, 10, 9, 9), 8 + 24 + 9),
        (cst(2026, 11, 23, 9), cst(2026, 11, 20, 9), 0.0),  # reversed
    ],
)
def test_working_hours(start: datetime, end: datetime, hours: float) -> None:
    assert working_hours_between(start, end) == pytest.approx(hours)


def test_instants_in_other_zones_count_by_shanghai_days() -> None:
    # Friday 23:00 UTC is Saturday 07:00 in Shanghai: nothing of it is working time.
    assert working_hours_between(datetime(2026, 11, 20, 23, tzinfo=UTC), cst(2026, 11, 21, 12)) == 0


def test_weekend_make_up_day_counts_and_holidays_do_not() -> None:
    # Sunday 20 Sep 2026 is worked before National Day; Monday 5 Oct is a holiday.
    assert working_hours_between(cst(2026, 9, 20, 10), cst(2026, 9, 20, 12)) == 2
    assert working_hours_between(cst(2026, 10, 5, 10), cst(2026, 10, 5, 12)) == 0


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        working_hours_between(datetime(2026, 11, 20), cst(2026, 11, 21))


def test_a_calendar_with_an_override_can_be_passed() -> None:
    saturday_worked = WorkingCalendar([parse_override("workdays: [2026-11-21]")])
    assert working_hours_between(cst(2026, 11, 21), cst(2026, 11, 22), saturday_worked) == 24
    assert working_hours_between(cst(2026, 11, 21), cst(2026, 11, 22)) == 0
