"""Official working-day schedules from the ``chinese-calendar`` package.

The package carries the State Council's yearly notices (holidays and weekend make-up working days);
for a year it has no data for it raises ``NotImplementedError``, which is how its coverage is found.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar


@cache
def has_official_data(year: int) -> bool:
    """Whether ``chinese-calendar`` carries the State Council schedule for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def official_working_days(year: int) -> list[date]:
    """Every working day of ``year`` by the official schedule, in order."""
    day = date(year, 1, 1)
    out = []
    while day.year == year:
        if chinese_calendar.is_workday(day):
            out.append(day)
        day += timedelta(days=1)
    return out
