"""Working-day calendar: official years, provisional years from the law, operator overrides.

See :mod:`sgbus.bus.calendar.working` for the exact deadline semantics.
"""

from __future__ import annotations

from functools import cache

from sgbus.bus.calendar.override import CalendarOverride, load_override, parse_override
from sgbus.bus.calendar.timeutil import CHINA_TZ, NaiveTimestamp, parse_instant
from sgbus.bus.calendar.working import Deadline, OutOfCalendar, WorkingCalendar


@cache
def default_calendar() -> WorkingCalendar:
    """The calendar without overrides, built once per process."""
    return WorkingCalendar()


__all__ = [
    "CHINA_TZ",
    "CalendarOverride",
    "Deadline",
    "NaiveTimestamp",
    "OutOfCalendar",
    "WorkingCalendar",
    "default_calendar",
    "load_override",
    "parse_instant",
    "parse_override",
]
