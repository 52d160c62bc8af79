"""Working time between two instants, for "median claim time in working hours".

Definition (the working-day calendar's): the part of ``[start, end)`` that falls on working
days of the Asia/Shanghai calendar, a working day counting all its 24 hours. A push on Friday
16:00 claimed on Monday 09:00 took 8 + 9 = 17 working hours. Official years follow the State
Council schedule; later years the statutory holidays (provisional), unless an override file
corrects them.
"""

from __future__ import annotations

from datetime import datetime

from sgbus.bus.calendar import CHINA_TZ, WorkingCalendar, default_calendar

__all__ = ["CHINA_TZ", "working_hours_between"]


def working_hours_between(
    start: datetime, end: datetime, calendar: WorkingCalendar | None = None
) -> float:
    """Hours of ``[start, end)`` on working days; 0 when ``end`` is not after ``start``.

    ``calendar`` defaults to the calendar without overrides. Both instants must be aware.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("working_hours_between needs timezone-aware instants")
    if end <= start:
        return 0.0
    cal = calendar or default_calendar()
    return cal.working_time_between(start, end).total_seconds() / 3600
