"""When the digest goes out: working days only, at the configured local time. Pure."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sgbus.bus.calendar import CHINA_TZ, WorkingCalendar
from sgbus.bus.calendar.timeutil import china_date


def send_time(day: date, at: time) -> datetime:
    """``at`` (Asia/Shanghai) on ``day``."""
    return datetime.combine(day, at, CHINA_TZ)


def due_today(now: datetime, at: time, calendar: WorkingCalendar) -> date | None:
    """The day whose digest is due at ``now``: today, when it is a working day and its send
    time has come (a service started late the same day still sends); else None."""
    today = china_date(now)
    if calendar.is_working_day(today) and now >= send_time(today, at):
        return today
    return None


def next_send(now: datetime, at: time, calendar: WorkingCalendar) -> datetime:
    """The first send time after ``now``: today's if still ahead on a working day, else the
    next working day's (holidays and weekends skipped, make-up working days included)."""
    today = china_date(now)
    if calendar.is_working_day(today) and send_time(today, at) > now:
        return send_time(today, at)
    day = today + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return send_time(day, at)


def breach_window(now: datetime, at: time, calendar: WorkingCalendar) -> datetime | None:
    """Since when breaches are notified at ``now``: None outside a working day's hours from
    the send time on (no messages at night, at weekends or on holidays); else the previous
    working day's send time, so a breach recorded overnight or over a holiday is told on the
    next working morning, and a service restarted late does not go back further."""
    today = due_today(now, at, calendar)
    if today is None:
        return None
    return send_time(calendar.subtract_working_days(today, 1), at)
