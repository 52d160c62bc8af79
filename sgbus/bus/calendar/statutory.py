"""Statutory holidays fixed by law, for years the State Council has not yet scheduled.

全国年节及纪念日放假办法 as revised in 2024 (in force from 2025) gives every citizen 13 days:
元旦 1 Jan; 春节 除夕 through 正月初三; 清明 (the solar term day); 劳动节 1–2 May; 端午 (五月初五);
中秋 (八月十五); 国庆 1–3 Oct. Article 6: a holiday that falls on a Saturday or Sunday is made
up on a working day, taken here as the first following weekday that is not itself a holiday.

The yearly State Council notice also moves weekend days around (调休); that cannot be predicted, so
every year computed here is *provisional* until an operator loads the official schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
from lunardate import LunarDate

_ONE_DAY = timedelta(days=1)


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def qingming(year: int) -> date:
    """The day of the 清明 solar term in China."""
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    for day, name in terms:
        if name == "清明":
            found: date = day
            return found
    raise ValueError(f"no 清明 solar term found in early April {year}")


def festival_days(year: int) -> dict[date, str]:
    """The 13 statutory holiday dates of ``year`` by name, before weekend make-up."""
    new_year = _lunar(year, 1, 1)
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    for offset in range(-1, 3):
        days[new_year + offset * _ONE_DAY] = "春节"
    days[qingming(year)] = "清明"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[_lunar(year, 5, 5)] = "端午"
    days[_lunar(year, 8, 15)] = "中秋"  # may coincide with 国庆; the law adds no extra day then
    for day in (1, 2, 3):
        days[date(year, 10, day)] = "国庆"
    return days


def statutory_holidays(year: int) -> dict[date, str]:
    """Holiday dates of ``year`` under the law alone, including weekend make-up days off."""
    days = festival_days(year)
    result = dict(days)
    for day in sorted(days):
        if day.weekday() < 5:
            continue
        substitute = day + _ONE_DAY
        while substitute.weekday() >= 5 or substitute in result:
            substitute += _ONE_DAY
        result[substitute] = f"{days[day]}补假"
    return result
