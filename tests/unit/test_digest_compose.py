"""The digest's pure parts: who gets which text, and when it goes out."""

from __future__ import annotations

from datetime import date, time

import pytest

from sgbus.bus.calendar import default_calendar, parse_instant
from sgbus.digest.compose import (
    Entry,
    Kind,
    PartyWork,
    Recipient,
    deadline_text,
    pick_entries,
    plan,
)
from sgbus.digest.schedule import due_today, next_send

DAY = date(2026, 10, 9)
CAL = default_calendar()
AT = time(8, 30)


def _entry(key: str, due: str, overdue: bool = False) -> Entry:
    return Entry(key, "养老机构备案", parse_instant(due), overdue)


CIVIL = PartyWork(
    "civil",
    "威海市民政局",
    to_claim=1,
    due_today=1,
    overdue=1,
    entries=(
        _entry("WH-1", "2026-10-09T00:00:00+08:00", overdue=True),
        _entry("WH-2", "2026-10-10T00:00:00+08:00"),
    ),
)
IDLE = PartyWork("water", "威海市水务局", 0, 0, 0)
OFFICER = Recipient("li", "civil", "officer", email="li@x.example")
IDLE_OFFICER = Recipient("qian", "water", "officer", phone="1")
OVERSIGHT = Recipient("zhao", "oversight", "oversight", email="z@x.example")
ADMIN = Recipient("root", "oversight", "admin", email="r@x.example")


def test_an_officer_gets_the_counts_and_the_list_of_their_party() -> None:
    (m,) = plan(DAY, {"civil": CIVIL}, [OFFICER])
    assert m.kind is Kind.OFFICER
    assert m.subject == "【审管联动】威海市民政局 2026-10-09 待办提醒"
    assert m.body == (
        "待认领 1 件,其中今日到期 1 件;已逾期 1 件。\n"
        "最紧急的事项:\n"
        "- WH-1 养老机构备案 期限 2026-10-08 24:00(已逾期)\n"
        "- WH-2 养老机构备案 期限 2026-10-09 24:00\n"
        "详情请登录审管联动平台查看。"
    )


def test_items_beyond_the_list_are_counted() -> None:
    busy = PartyWork("civil", "民政局", 11, 0, 3, CIVIL.entries)
    (m,) = plan(DAY, {"civil": busy}, [OFFICER])
    assert "另有 12 件未列出。" in m.body


def test_the_oversight_office_gets_every_busy_department_most_overdue_first() -> None:
    housing = PartyWork("housing", "威海市住房和城乡建设局", 5, 0, 0)
    (m,) = plan(DAY, {"civil": CIVIL, "housing": housing, "water": IDLE}, [OVERSIGHT])
    assert m.kind is Kind.OVERSIGHT
    assert m.subject == "【审管联动】2026-10-09 各部门待办汇总"
    assert m.body == (
        "威海市民政局:待认领 1,今日到期 1,已逾期 1\n"
        "威海市住房和城乡建设局:待认领 5,今日到期 0,已逾期 0\n"
        "合计:待认领 6,今日到期 1,已逾期 1"
    )


def test_nothing_open_anywhere() -> None:
    (m,) = plan(DAY, {"water": IDLE}, [OVERSIGHT, IDLE_OFFICER])
    assert m.body == "各部门均无待认领或逾期事项。"


def test_an_idle_officer_gets_nothing_unless_asked() -> None:
    assert plan(DAY, {}, [IDLE_OFFICER]) == []
    (m,) = plan(DAY, {}, [IDLE_OFFICER], send_empty=True)
    assert m.body.startswith("待认领 0 件,其中今日到期 0 件;已逾期 0 件。")
    assert m.subject == "【审管联动】water 2026-10-09 待办提醒"  # no name known: the id
    (named,) = plan(DAY, {}, [IDLE_OFFICER], send_empty=True, names={"water": "某市水务局"})
    assert named.subject == "【审管联动】某市水务局 2026-10-09 待办提醒"


def test_admins_get_no_digest() -> None:
    assert plan(DAY, {"civil": CIVIL}, [ADMIN]) == []


def test_each_recipient_gets_their_own_message_once() -> None:
    other = Recipient("sun", "civil", "officer", phone="2")
    messages = plan(DAY, {"civil": CIVIL}, [OFFICER, other, OVERSIGHT])
    assert [(m.recipient.username, m.kind) for m in messages] == [
        ("li", Kind.OFFICER),
        ("sun", Kind.OFFICER),
        ("zhao", Kind.OVERSIGHT),
    ]
    assert messages[0].body == messages[1].body


def test_deadlines_read_as_officers_read_them() -> None:
    assert deadline_text(parse_instant("2026-10-10T00:00:00+08:00")) == "2026-10-09 24:00"
    assert deadline_text(parse_instant("2026-10-09T09:30:00+00:00")) == "2026-10-09 17:30"


def test_the_list_puts_overdue_first_and_keeps_to_its_size() -> None:
    late = [_entry(f"L{i}", "2026-10-01T00:00:00+08:00", True) for i in range(3)]
    pending = [_entry(f"P{i}", "2026-10-12T00:00:00+08:00") for i in range(9)]
    picked = pick_entries(late, pending, 10)
    assert [e.case_key for e in picked] == ["L0", "L1", "L2", *(f"P{i}" for i in range(7))]
    assert pick_entries(late, pending, 0) == ()


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2026-10-09T08:30:00+08:00", DAY),  # a working Friday at the send time
        ("2026-10-09T15:00:00+08:00", DAY),  # started late the same day: still sent
        ("2026-10-09T08:29:59+08:00", None),  # not yet
        ("2026-10-01T09:00:00+08:00", None),  # National Day
        ("2026-10-11T09:00:00+08:00", None),  # Sunday
        ("2026-10-10T09:00:00+08:00", date(2026, 10, 10)),  # Saturday, a make-up working day
        ("2026-10-09T00:30:00+00:00", DAY),  # 08:30 in Shanghai, given in UTC
    ],
)
def test_due_only_on_working_days_after_the_send_time(now: str, due: date | None) -> None:
    assert due_today(parse_instant(now), AT, CAL) == due


@pytest.mark.parametrize(
    ("now", "wake"),
    [
        ("2026-09-30T09:00:00+08:00", "2026-10-08T08:30:00+08:00"),  # over the holiday
        ("2026-10-09T09:00:00+08:00", "2026-10-10T08:30:00+08:00"),  # make-up Saturday
        ("2026-10-10T09:00:00+08:00", "2026-10-12T08:30:00+08:00"),  # Sunday skipped
        ("2026-10-12T07:00:00+08:00", "2026-10-12T08:30:00+08:00"),  # later today
    ],
)
def test_the_next_send_skips_holidays_and_weekends(now: str, wake: str) -> None:
    assert next_send(parse_instant(now), AT, CAL) == parse_instant(wake)
