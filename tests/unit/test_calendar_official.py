"""Working-day arithmetic against an independent day-by-day walk over chinese_calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar
import pytest

from sgbus.bus.calendar import CHINA_TZ, WorkingCalendar, default_calendar
from sgbus.bus.calendar.statutory import festival_days

DAY = timedelta(days=1)
MAX_N = 10


def _walk(start: date, max_n: int) -> list[date] | None:
    """The 1st..max_n-th official working days after ``start``, or None past official data."""
    found: list[date] = []
    day = start
    while len(found) < max_n:
        day += DAY
        if day.year > 2026:
            return None
        if chinese_calendar.is_workday(day):
            found.append(day)
    return found


def _days(first: date, last: date) -> list[date]:
    return [first + n * DAY for n in range((last - first).days + 1)]


def test_every_day_2020_to_2026_matches_official_enumeration() -> None:
    cal = default_calendar()
    checked = 0
    for day in _days(date(2020, 1, 1), date(2026, 12, 31)):
        expected = _walk(day, MAX_N)
        if expected is None:
            continue  # runs into 2027: covered by the provisional tests
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        event = datetime.combine(day, time(15, 30), CHINA_TZ)
        for n in range(1, MAX_N + 1):
            due = cal.deadline(event, n)
            assert due.due_at == datetime.combine(expected[n - 1] + DAY, time(0), CHINA_TZ), (
                day,
                n,
            )
            assert not due.provisional
            checked += 1
    assert checked > 25_000


def test_law_holidays_agree_with_official_years() -> None:
    """The lunar and solar-term computation puts every festival on an official holiday."""
    for year in range(2020, 2027):
        for day, name in festival_days(year).items():
            if year < 2025 and (name == "劳动节" and day.day == 2):
                continue  # the 2024 revision added 1 May's second day from 2025 on
            lunar_new_year = min(d for d, n in festival_days(year).items() if n == "春节") + DAY
            if year < 2025 and day == lunar_new_year - DAY:
                continue  # …and 除夕
            assert chinese_calendar.is_holiday(day), (year, day, name)


@pytest.mark.parametrize(
    ("event", "n", "due"),
    [
        # 2024 春节: 10–17 Feb off; Sun 4 Feb and Sun 18 Feb worked.
        ("2024-02-08T10:00:00+08:00", 3, "2024-02-20T00:00:00+08:00"),
        ("2024-02-03T12:00:00+08:00", 1, "2024-02-05T00:00:00+08:00"),  # Sat → Sun 4 Feb worked
        ("2024-02-12T09:00:00+08:00", 1, "2024-02-19T00:00:00+08:00"),  # holiday → Sun 18 Feb
        # 2025 国庆+中秋: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct worked.
        ("2025-09-27T09:00:00+08:00", 2, "2025-09-30T00:00:00+08:00"),
        ("2025-09-30T16:00:00+08:00", 3, "2025-10-12T00:00:00+08:00"),
        # 2026 国庆: 1–7 Oct off; Sat 10 Oct worked (the README example).
        ("2026-09-30T16:00:00+08:00", 3, "2026-10-11T00:00:00+08:00"),
        # Late on the last working day of 2025: 1–3 Jan 2026 off, Sun 4 Jan worked.
        ("2025-12-31T23:59:59+08:00", 1, "2026-01-05T00:00:00+08:00"),
        # The offset decides the day: 17:00 UTC Thursday is Friday 01:00 in China.
        ("2025-06-12T17:00:00+00:00", 1, "2025-06-17T00:00:00+08:00"),
        ("2025-06-12T15:59:59+00:00", 1, "2025-06-14T00:00:00+08:00"),
        # N = 0: the same calendar day.
        ("2025-06-14T10:00:00+08:00", 0, "2025-06-15T00:00:00+08:00"),
    ],
)
def test_named_cases(event: str, n: int, due: str) -> None:
    result = default_calendar().deadline(datetime.fromisoformat(event), n)
    assert result.due_at.isoformat() == due
    assert result.due_at.utcoffset() == timedelta(hours=8)
    assert not result.provisional


def test_building_a_calendar_does_not_change_the_default() -> None:
    assert WorkingCalendar().deadline(
        datetime(2026, 9, 30, 16, tzinfo=CHINA_TZ), 3
    ) == default_calendar().deadline(datetime(2026, 9, 30, 16, tzinfo=CHINA_TZ), 3)
