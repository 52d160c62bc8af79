"""Working-day arithmetic for deadlines.

Semantics (行政许可法 第八十二条: periods in working days exclude statutory holidays; the day of
the event is not counted):

* An N-working-day deadline for an event ends at 24:00 Asia/Shanghai of the Nth working day
  *after the event's calendar day*. ``due_at`` is that instant written as 00:00 +08:00 of the
  following day and is **exclusive**: an answer is on time if and only if ``answered_at < due_at``.
* An event on a weekend or holiday is handled by the same rule: the first working day after its
  day is working day 1. An event on a working day at 23:59 and one on the following Saturday
  therefore share a deadline; neither gains a day.
* ``N = 0`` means "the same calendar day": due at 24:00 of the event's own day.
* Counting backwards (a meeting agenda due 3 working days *before* the meeting) mirrors this:
  due at 00:00 of the Nth working day before the anchor's day, so N whole working days lie
  between the deadline and the anchor's day.
* A result is *provisional* when any day from the event's day to the deadline's day lies in a
  year that has neither official data nor an override file covering it.

All working days from 2004 to 2099 are precomputed once as a sorted list of date ordinals, so
every query is a bisection plus an index.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sgbus.bus.calendar.official import has_official_data, official_working_days
from sgbus.bus.calendar.override import CalendarOverride
from sgbus.bus.calendar.statutory import statutory_holidays
from sgbus.bus.calendar.timeutil import (
    CHINA_TZ,
    FIRST_YEAR,
    LAST_YEAR,
    NaiveTimestamp,
    china_date,
    china_midnight,
    china_ordinal,
)

_DAY = timedelta(days=1)
_FIRST_ORDINAL = date(FIRST_YEAR, 1, 1).toordinal()
_LAST_ORDINAL = date(LAST_YEAR, 12, 31).toordinal()


class OutOfCalendar(ValueError):
    """A date, or a deadline, outside the years the calendar covers."""


class Deadline(NamedTuple):
    """A computed deadline. ``due_at`` is exclusive: on time means ``answered_at < due_at``."""

    due_at: datetime
    provisional: bool
    working_days: int
    before: bool = False

    @property
    def last_day(self) -> date:
        """The last calendar day on which the answer is on time (forward deadlines)."""
        return (self.due_at - _DAY).date()


class WorkingCalendar:
    """Working days for 2004–2099: official data, the law for later years, and overrides."""

    def __init__(self, overrides: Iterable[CalendarOverride] = ()) -> None:
        self.overrides = tuple(overrides)
        covered = {year for o in self.overrides for year in o.official_years}
        self.provisional_years = frozenset(
            year
            for year in range(FIRST_YEAR, LAST_YEAR + 1)
            if year not in covered and not has_official_data(year)
        )
        working = self._base_working_days(covered)
        for override in self.overrides:
            working.difference_update(d.toordinal() for d in override.holidays)
            working.update(d.toordinal() for d in override.workdays)
        self._ordinals = sorted(working)
        self._ordinal_set = frozenset(working)
        # The hot path returns these prebuilt instants instead of constructing one per call.
        self._due_after = [china_midnight(date.fromordinal(o + 1)) for o in self._ordinals]
        self._provisional_spans = _spans(self.provisional_years)
        self._span_ends = [end for _, end in self._provisional_spans]

    def _base_working_days(self, covered: set[int]) -> set[int]:
        working: set[int] = set()
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            if year in covered:
                working.update(_weekdays(year))
            elif year in self.provisional_years:
                working.update(_statutory_working_days(year))
            else:
                working.update(_official_working_days(year))
        return working

    # -- single days ---------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        _check_ordinal(day.toordinal())
        return day.toordinal() in self._ordinal_set

    def is_provisional(self, first: date, last: date) -> bool:
        """Whether any day of ``first..last`` lies in a year without official data or override."""
        return self._provisional_ordinals(first.toordinal(), last.toordinal())

    def _provisional_ordinals(self, first: int, last: int) -> bool:
        i = bisect_left(self._span_ends, first)
        return i < len(self._provisional_spans) and self._provisional_spans[i][0] <= last

    def add_working_days(self, day: date, n: int) -> date:
        """The Nth working day after ``day`` (``day`` itself not counted); ``n=0`` is ``day``."""
        if n == 0:
            return day
        ordinal = day.toordinal()
        _check_ordinal(ordinal)
        index = bisect_right(self._ordinals, ordinal) + n - 1
        if index >= len(self._ordinals):
            raise OutOfCalendar(f"{n} working days after {day} lies beyond {LAST_YEAR}")
        return date.fromordinal(self._ordinals[index])

    def subtract_working_days(self, day: date, n: int) -> date:
        """The Nth working day before ``day`` (``day`` itself not counted); ``n=0`` is ``day``."""
        if n == 0:
            return day
        ordinal = day.toordinal()
        _check_ordinal(ordinal)
        index = bisect_left(self._ordinals, ordinal) - n
        if index < 0:
            raise OutOfCalendar(f"{n} working days before {day} lies before {FIRST_YEAR}")
        return date.fromordinal(self._ordinals[index])

    # -- deadlines -----------------------------------------------------------------------

    def deadline(self, event_at: datetime, working_days: int) -> Deadline:
        """Deadline ``working_days`` after an aware instant; see the module doc for the rule."""
        if working_days <= 0:
            return self._same_day_or_before(event_at, working_days)
        ordinal = china_ordinal(event_at)
        if not _FIRST_ORDINAL <= ordinal <= _LAST_ORDINAL:
            _check_ordinal(ordinal)
        index = bisect_right(self._ordinals, ordinal) + working_days - 1
        if index >= len(self._ordinals):
            raise OutOfCalendar(
                f"{working_days} working days after {date.fromordinal(ordinal)}"
                f" lies beyond {LAST_YEAR}"
            )
        provisional = self._provisional_ordinals(ordinal, self._ordinals[index])
        return Deadline(self._due_after[index], provisional, working_days)

    def _same_day_or_before(self, event_at: datetime, working_days: int) -> Deadline:
        if working_days < 0:
            return self.deadline_before(event_at, -working_days)
        day = china_date(event_at)
        _check_ordinal(day.toordinal())
        return Deadline(china_midnight(day + _DAY), self.is_provisional(day, day), 0)

    def deadline_before(self, anchor_at: datetime, working_days: int) -> Deadline:
        """Deadline ``working_days`` before an aware instant: 00:00 of that working day."""
        if working_days < 0:
            raise ValueError("working_days must not be negative when counting backwards")
        day = china_date(anchor_at)
        first = self.subtract_working_days(day, working_days)
        return Deadline(
            due_at=china_midnight(first),
            provisional=self.is_provisional(first, day),
            working_days=working_days,
            before=True,
        )

    # -- elapsed time for reports --------------------------------------------------------

    def working_days_used(self, start: datetime, end: datetime) -> int:
        """Working days after ``start``'s day up to and including ``end``'s day.

        An answer with ``working_days_used(event, answer) <= N - 1`` is always on time for an
        N-working-day deadline, and a deadline met always has ``working_days_used <= N``.
        """
        first, last = _ordered(start, end)
        ords = self._ordinals
        return bisect_right(ords, last.toordinal()) - bisect_right(ords, first.toordinal())

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much of ``[start, end)`` falls on working days (whole days of 24 hours).

        Reports use it for "time to claim in working hours": a push on Friday 16:00 claimed on
        Monday 09:00 took 17 working hours, not 65 hours.
        """
        _ordered(start, end)
        a, b = start.astimezone(CHINA_TZ), end.astimezone(CHINA_TZ)
        if a.date() == b.date():
            return b - a if self.is_working_day(a.date()) else timedelta(0)
        total = timedelta(0)
        if self.is_working_day(a.date()):
            total += china_midnight(a.date() + _DAY) - a
        if self.is_working_day(b.date()):
            total += b - china_midnight(b.date())
        whole = self.working_days_used(start, end) - int(self.is_working_day(b.date()))
        return total + whole * _DAY


# Per-year ordinals are cached so that building several calendars (one per override set) costs
# only the set arithmetic.
@cache
def _weekdays(year: int) -> tuple[int, ...]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            out.append(day.toordinal())
        day += _DAY
    return tuple(out)


@cache
def _statutory_working_days(year: int) -> tuple[int, ...]:
    off = {d.toordinal() for d in statutory_holidays(year)}
    return tuple(o for o in _weekdays(year) if o not in off)


@cache
def _official_working_days(year: int) -> tuple[int, ...]:
    return tuple(d.toordinal() for d in official_working_days(year))


def _spans(years: frozenset[int]) -> list[tuple[int, int]]:
    """Runs of consecutive years as (first ordinal, last ordinal), in order."""
    spans: list[tuple[int, int]] = []
    for year in sorted(years):
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        if spans and spans[-1][1] == first - 1:
            spans[-1] = (spans[-1][0], last)
        else:
            spans.append((first, last))
    return spans


def _check_ordinal(ordinal: int) -> None:
    if not _FIRST_ORDINAL <= ordinal <= _LAST_ORDINAL:
        raise OutOfCalendar(
            f"{date.fromordinal(ordinal)} is outside the calendar ({FIRST_YEAR}–{LAST_YEAR})"
        )


def _ordered(start: datetime, end: datetime) -> tuple[date, date]:
    first, last = china_date(start), china_date(end)
    if end < start:
        raise ValueError("end is before start")
    return first, last


__all__ = ["Deadline", "NaiveTimestamp", "OutOfCalendar", "WorkingCalendar"]
