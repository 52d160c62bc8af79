"""How urgent an item is: its traffic light and working-day countdown. Pure.

The deadline and reminder instants are the watchdog's (stored with the obligation); the
countdown counts working days on the same calendar, as the watchdog's reminders do.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sgbus.bus.calendar import OutOfCalendar, WorkingCalendar
from sgbus.bus.obligations.outcomes import working_days_until


class Light(StrEnum):
    """红 overdue, 黄 in the reminder window or due within a working day, 绿 otherwise."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    NONE = "none"  # done, or nothing is due

    @property
    def label(self) -> str:
        """The Chinese word shown beside the colour (colour is never the only signal)."""
        return {"red": "已逾期", "amber": "即将到期", "green": "正常", "none": "—"}[self.value]


def light(
    due_at: datetime | None,
    remind_at: datetime | None,
    now: datetime,
    calendar: WorkingCalendar,
    *,
    done: bool,
) -> Light:
    """The traffic light of an item."""
    if done or due_at is None:
        return Light.NONE
    if now >= due_at:
        return Light.RED
    if (remind_at is not None and now >= remind_at) or countdown(due_at, now, calendar) <= 1:
        return Light.AMBER
    return Light.GREEN


def countdown(due_at: datetime, now: datetime, calendar: WorkingCalendar) -> int:
    """Working days left until ``due_at`` (0 once passed)."""
    try:
        return working_days_until(now, due_at, calendar)
    except OutOfCalendar:
        return 0  # beyond the calendar's years: the deadline itself is provisional
