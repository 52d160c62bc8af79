"""Years without official data, operator override files, and the elapsed-time helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sgbus.bus.calendar import (
    CHINA_TZ,
    NaiveTimestamp,
    OutOfCalendar,
    WorkingCalendar,
    default_calendar,
    load_override,
    parse_override,
)
from sgbus.bus.calendar.statutory import statutory_holidays
from sgbus.bus.yamldoc import SourceError

OVERRIDE_2027 = """\
# hypothetical State Council schedule for 2027
official_years: [2027]
holidays:
  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
  - {from: 2027-02-05, to: 2027-02-11, name: 春节}
  - 2027-04-05
workdays:
  - 2027-02-14
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_deadline_crossing_into_2027_is_provisional() -> None:
    due = default_calendar().deadline(at("2026-12-31T17:00:00+08:00"), 3)
    # 1 Jan 2027 (Fri) is 元旦 by law, 2–3 Jan a weekend: Mon 4, Tue 5, Wed 6 Jan.
    assert due.due_at.isoformat() == "2027-01-07T00:00:00+08:00"
    assert due.provisional


def test_deadline_inside_2026_is_official() -> None:
    assert not default_calendar().deadline(at("2026-12-28T09:00:00+08:00"), 3).provisional


def test_override_makes_2027_official(tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(OVERRIDE_2027, encoding="utf-8")
    cal = WorkingCalendar([load_override(path)])
    due = cal.deadline(at("2026-12-31T17:00:00+08:00"), 3)
    assert due.due_at.isoformat() == "2027-01-07T00:00:00+08:00"
    assert not due.provisional
    assert 2027 not in cal.provisional_years and 2028 in cal.provisional_years


def test_override_schedule_replaces_the_law_for_its_year() -> None:
    cal = WorkingCalendar([parse_override(OVERRIDE_2027)])
    # Law: 5–8 Feb (除夕–初三) plus make-up days 9–10 Feb; override: 5–11 Feb, Sun 14 Feb worked.
    assert default_calendar().is_working_day(date(2027, 2, 11))
    assert not cal.is_working_day(date(2027, 2, 11))
    assert cal.is_working_day(date(2027, 2, 14))
    due = cal.deadline(at("2027-02-04T10:00:00+08:00"), 2)
    assert due.due_at.isoformat() == "2027-02-15T00:00:00+08:00"  # Fri 12, Sun 14 Feb


def test_correction_outside_official_years_keeps_year_provisional() -> None:
    cal = WorkingCalendar([parse_override("holidays: [2027-01-04]\n")])
    due = cal.deadline(at("2026-12-31T17:00:00+08:00"), 3)
    assert due.due_at.isoformat() == "2027-01-08T00:00:00+08:00"
    assert due.provisional


def test_correction_to_an_official_year() -> None:
    cal = WorkingCalendar([parse_override("holidays: [2026-06-22]\n")])
    assert not cal.is_working_day(date(2026, 6, 22))
    assert not cal.deadline(at("2026-06-19T10:00:00+08:00"), 1).provisional


def test_statutory_2027_by_law() -> None:
    days = statutory_holidays(2027)
    assert days[date(2027, 2, 5)] == "春节"  # 除夕 (lunar new year 6 Feb 2027)
    assert days[date(2027, 4, 5)] == "清明"
    assert days[date(2027, 6, 9)] == "端午"
    assert days[date(2027, 9, 15)] == "中秋"
    # 1–2 May 2027 fall on Sat–Sun: made up on Mon 3 and Tue 4 May.
    assert days[date(2027, 5, 3)] == days[date(2027, 5, 4)] == "劳动节补假"
    assert len([d for d in days if not days[d].endswith("补假")]) == 13


def test_counting_backwards_for_a_meeting_agenda() -> None:
    cal = default_calendar()
    # Meeting Thu 12 Feb 2026: 3 working days before are Mon 9, Tue 10, Wed 11 → due 00:00 Mon 9.
    due = cal.deadline_before(at("2026-02-12T09:30:00+08:00"), 3)
    assert due.due_at.isoformat() == "2026-02-09T00:00:00+08:00"
    assert due.before and not due.provisional
    assert cal.deadline(at("2026-02-12T09:30:00+08:00"), -3) == due
    # Across 2026 国庆 (1–7 Oct off, Sat 10 Oct worked): meeting Mon 12 Oct → 00:00 Thu 8 Oct.
    assert cal.deadline_before(at("2026-10-12T09:00:00+08:00"), 3).due_at.date() == date(
        2026, 10, 8
    )


def test_working_days_used_and_working_time() -> None:
    cal = default_calendar()
    push = at("2026-09-30T16:00:00+08:00")
    claim = at("2026-10-09T09:00:00+08:00")  # Fri after the holiday
    assert cal.working_days_used(push, claim) == 2  # Thu 8, Fri 9 Oct
    # 8 h left of Wed 30 Sep, all of Thu 8 Oct, 9 h of Fri 9 Oct.
    assert cal.working_time_between(push, claim) == timedelta(hours=8 + 24 + 9)
    same_day = cal.working_time_between(push, at("2026-09-30T17:30:00+08:00"))
    assert same_day == timedelta(hours=1, minutes=30)
    holiday = cal.working_time_between(at("2026-10-02T08:00:00+08:00"), at("2026-10-02T20:00:00Z"))
    assert holiday == timedelta(0)
    with pytest.raises(ValueError, match="before start"):
        cal.working_days_used(claim, push)


def test_naive_and_out_of_range_input() -> None:
    cal = default_calendar()
    with pytest.raises(NaiveTimestamp, match="no UTC offset"):
        cal.deadline(datetime(2026, 1, 5, 9), 3)
    with pytest.raises(OutOfCalendar, match="outside the calendar"):
        cal.deadline(datetime(2003, 12, 31, tzinfo=CHINA_TZ), 1)
    with pytest.raises(OutOfCalendar, match="beyond 2099"):
        cal.deadline(datetime(2099, 12, 30, tzinfo=CHINA_TZ), 5)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("holidays:\n  - 2027-01-01\n  - 2027-02-30\n", 3, "'2027-02-30' is not a valid date"),
        ("holidays:\n  - {from: 2027-02-11, to: 2027-02-05}\n", 2, "ends (2027-02-05) before"),
        ("holidays:\n  - {from: 2027-02-01, to: 2027-05-01}\n", 2, "longer than 31 days"),
        ("holidays: [2027-01-01]\nworkdays:\n  - 2027-01-01\n", 3, "2027-01-01: listed as a"),
        (
            "official_years: [2027]\nholidays: [2027-01-01]\nworkdays:\n  - 2027-03-03\n",
            4,
            "2027-03-03: is a Wednesday",
        ),
        ("official_years: [2027]\nholidays: [2028-01-01]\n", 1, "official year 2027 lists no"),
        ("official_years: [27]\n", 1, "year 27 outside 2004–2099"),
        ("holiday: [2027-01-01]\n", 1, "unknown key"),
        ("holidays:\n  - {date: 2027-01-01, nmae: 元旦}\n", 2, "unknown key"),
        ("holidays: 2027-01-01\n", 1, "must be a list"),
        ("holidays: [2027-01-01\n", 2, "not valid YAML"),
        ("holidays: [1999-01-01]\n", 1, "1999-01-01: year outside"),
        ("holidays: [2027-1-1]\n", 1, "'2027-1-1' is not a valid date"),
    ],
)
def test_bad_override_files_name_line_and_problem(text: str, line: int, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_override(text, "cal.yaml")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"cal.yaml:{line}: ")
    assert message in str(caught.value)


def test_unreadable_override_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read file"):
        load_override(tmp_path / "missing.yaml")
