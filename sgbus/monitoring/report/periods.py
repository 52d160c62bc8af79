"""Report periods as the cities publish their 通报: a month, a quarter, or any run of days.

Pure: a period is a pair of dates, both included; its instants are the Asia/Shanghai midnights
around them (:func:`sgbus.monitoring.report.model.period_bounds`).
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_QUARTER_ZH = ("一", "二", "三", "四")


def month_period(text: str) -> tuple[date, date]:
    """``2026-11`` → 1 to 30 November 2026."""
    found = _MONTH.fullmatch(text.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise ValueError(f"{text!r} is not a month: write YYYY-MM, e.g. 2026-11")
    year, month = int(found[1]), int(found[2])
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def quarter_period(text: str) -> tuple[date, date]:
    """``2026Q4`` (or ``2026-Q4``) → 1 October to 31 December 2026."""
    found = _QUARTER.fullmatch(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a quarter: write YYYYQn, e.g. 2026Q4")
    year, first = int(found[1]), 3 * int(found[2]) - 2
    return date(year, first, 1), date(year, first + 2, monthrange(year, first + 2)[1])


def period_label(start: date, end: date) -> str:
    """How a 通报 titles its period: ``2026年11月``, ``2026年第四季度``, or the two dates."""
    if start.day == 1 and end == month_period(f"{start:%Y-%m}")[1]:
        return f"{start.year}年{start.month}月"
    quarter = (start.month + 2) // 3
    if (start, end) == quarter_period(f"{start.year}Q{quarter}"):
        return f"{start.year}年第{_QUARTER_ZH[quarter - 1]}季度"
    return f"{start.isoformat()} 至 {end.isoformat()}"
