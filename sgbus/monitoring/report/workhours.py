"""Working time between two instants, for "median claim time in working hours".

Definition (the same as the working-day calendar's reports): the part of ``[start, end)`` that
falls on working days of the Asia/Shanghai calendar, with a working day counting all its 24
hours. A push on Friday 16:00 claimed on Monday 09:00 took 8 + 9 = 17 working hours.

:func:`working_hours_between` is the one function the report uses. It asks
:func:`is_working_day`, which uses the official State Council schedule from the
``chinese-calendar`` package where it has data and Monday–Friday otherwise; the project's
working-day calendar (``sgbus.bus.calendar``, with statutory holidays for years without
official data and operator overrides) can replace it by passing its own ``is_working_day``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import chinese_calendar

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
_DAY = timedelta(days=1)

WorkingDayFn = Callable[[date], bool]


def is_working_day(day: date) -> bool:
    """Official schedule where known (holidays and weekend make-up days), else Monday–Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no schedule for
        return day.weekday() < 5


def working_hours_between(
    start: datetime, end: datetime, working_day: WorkingDayFn = is_working_day
) -> float:
    """Hours of ``[start, end)`` that fall on working days (Asia/Shanghai); 0 if end <= start.

    Both instants must be timezone-aware.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("working_hours_between needs timezone-aware instants")
    a, b = start.astimezone(CHINA_TZ), end.astimezone(CHINA_TZ)
    if b <= a:
        return 0.0
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if working_day(day):
            day_start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
            total += min(b, day_start + _DAY) - max(a, day_start)
        day += _DAY
    return total.total_seconds() / 3600
