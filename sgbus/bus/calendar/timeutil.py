"""Asia/Shanghai local time for working-day arithmetic.

China has kept UTC+08:00 all year since 1991, so a fixed offset is exact for every date this
calendar supports (2004 onwards) and much faster than a zoneinfo lookup in the hot path.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class NaiveTimestamp(ValueError):
    """A timestamp without a UTC offset: its working day would be a guess."""


def china_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware ``moment``; naive input raises."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _naive(moment)
    return moment.astimezone(CHINA_TZ).date()


def _naive(moment: datetime) -> NaiveTimestamp:
    return NaiveTimestamp(
        f"timestamp {moment.isoformat()} has no UTC offset; give one, e.g. +08:00"
    )


_EIGHT_HOURS = timedelta(hours=8)


def china_ordinal(moment: datetime) -> int:
    """``china_date(moment).toordinal()``, in the form the hot path can afford."""
    offset = moment.utcoffset()
    if offset is None:
        raise _naive(moment)
    return (moment + (_EIGHT_HOURS - offset)).toordinal()


def china_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai at the start of ``day``."""
    return datetime.combine(day, time(0), CHINA_TZ)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry its UTC offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}") from None
    china_date(moment)  # rejects naive input with the common message
    return moment


# chinese-calendar's first official year, and the last year the lunar conversion covers.
FIRST_YEAR = 2004
LAST_YEAR = 2099
