"""Operator override files: official schedules for new years and corrections to any year.

Format (YAML)::

    # State Council notice for 2027
    official_years: [2027]        # years this file describes completely: results become official
    holidays:
      - 2027-01-01                # one day
      - {date: 2027-04-05, name: 清明}
      - {from: 2027-02-05, to: 2027-02-11, name: 春节}
    workdays:                     # weekend days worked instead (调休)
      - 2027-02-14

For a year in ``official_years`` the file is the whole schedule: Monday–Friday work, Saturday and
Sunday rest, except the listed days. Dates in other years correct the bundled or provisional
calendar day by day and leave the year's provisional status as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sgbus.bus.calendar.timeutil import FIRST_YEAR, LAST_YEAR
from sgbus.bus.yamldoc import PathKey, SourceError, YamlDoc, load_yaml, parse_yaml

_TOP_KEYS = ("official_years", "holidays", "workdays")
_MAX_RANGE_DAYS = 31  # a longer holiday range is a typo in the year or month
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class CalendarOverride:
    """A validated override file."""

    source: str
    official_years: frozenset[int] = frozenset()
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)


def load_override(path: Path | str) -> CalendarOverride:
    """Read and validate an override file; problems raise :class:`SourceError` with the line."""
    return _build(load_yaml(Path(path)))


def parse_override(text: str, source: str = "<override>") -> CalendarOverride:
    """Validate override YAML given as text."""
    return _build(parse_yaml(text, source))


def _build(doc: YamlDoc) -> CalendarOverride:
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise doc.error((), "the file must be a mapping with keys " + ", ".join(_TOP_KEYS))
    for key in data:
        if key not in _TOP_KEYS:
            raise doc.error((key,), "unknown key; expected one of " + ", ".join(_TOP_KEYS))
    years = _official_years(doc, data.get("official_years", []))
    holidays, holiday_lines = _entries(doc, "holidays", data.get("holidays", []))
    workdays, workday_lines = _entries(doc, "workdays", data.get("workdays", []))
    for day in sorted(holidays.keys() & workdays.keys()):
        raise SourceError(
            doc.source,
            workday_lines[day],
            f"{day}: listed as a working day here and as a holiday at line {holiday_lines[day]}",
        )
    for day, line in workday_lines.items():
        if day.year in years and day.weekday() < 5:
            raise SourceError(
                doc.source,
                line,
                f"{day}: is a {_WEEKDAY_NAMES[day.weekday()]}; in an official year only weekend"
                " days can be listed as working days",
            )
    for year in sorted(years):
        if not any(day.year == year for day in holidays):
            raise doc.error(
                ("official_years",), f"official year {year} lists no holidays (not even 元旦)"
            )
    return CalendarOverride(doc.source, frozenset(years), holidays, workdays)


def _official_years(doc: YamlDoc, raw: Any) -> set[int]:
    if not isinstance(raw, list):
        raise doc.error(("official_years",), "must be a list of years, e.g. [2027]")
    years: set[int] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, int) or isinstance(item, bool):
            raise doc.error(("official_years", i), "a year must be a whole number, e.g. 2027")
        if not FIRST_YEAR <= item <= LAST_YEAR:
            raise doc.error(("official_years", i), f"year {item} outside {FIRST_YEAR}–{LAST_YEAR}")
        years.add(item)
    return years


def _entries(doc: YamlDoc, key: str, raw: Any) -> tuple[dict[date, str], dict[date, int]]:
    if not isinstance(raw, list):
        raise doc.error((key,), "must be a list of dates or {from:, to:} ranges")
    days: dict[date, str] = {}
    lines: dict[date, int] = {}
    for i, item in enumerate(raw):
        line = doc.line_of((key, i)) or 0
        for day in _expand(doc, (key, i), item):
            days[day] = item.get("name", "") if isinstance(item, dict) else ""
            lines.setdefault(day, line)
    return days, lines


def _expand(doc: YamlDoc, path: PathKey, item: Any) -> list[date]:
    if not isinstance(item, dict):
        return [_date(doc, path, item)]
    unknown = set(item) - {"date", "from", "to", "name"}
    if unknown:
        raise doc.error((*path, sorted(unknown)[0]), "unknown key; use date, from, to, name")
    if "name" in item and not isinstance(item["name"], str):
        raise doc.error((*path, "name"), "a name must be text")
    if "date" in item:
        if "from" in item or "to" in item:
            raise doc.error(path, "give either date or from/to, not both")
        return [_date(doc, (*path, "date"), item["date"])]
    if "from" not in item or "to" not in item:
        raise doc.error(path, "a range needs both from and to (or give date)")
    start = _date(doc, (*path, "from"), item["from"])
    end = _date(doc, (*path, "to"), item["to"])
    if end < start:
        raise doc.error(path, f"range ends ({end}) before it starts ({start})")
    if (end - start).days >= _MAX_RANGE_DAYS:
        raise doc.error(path, f"range {start}..{end} is longer than {_MAX_RANGE_DAYS} days")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _date(doc: YamlDoc, path: PathKey, raw: Any) -> date:
    text = str(raw)
    try:
        if len(text) != 10:
            raise ValueError("expected YYYY-MM-DD")
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise doc.error(path, f"{text!r} is not a valid date ({exc})") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise doc.error(path, f"{day}: year outside {FIRST_YEAR}–{LAST_YEAR}")
    return day
