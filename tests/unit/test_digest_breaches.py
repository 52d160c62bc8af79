"""Breach notices to department heads (负责人, 天津's escalation): one per breach, to the heads
of the department in breach only, on working days from the send time on, never twice."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sgbus.bus.calendar import default_calendar, parse_instant
from sgbus.bus.catalogue import example_catalogue
from sgbus.digest import sentlog
from sgbus.digest.schedule import breach_window
from sgbus.digest.service import DigestService
from sgbus.digest.settings import DigestSettings
from tests.fixtures.digest_seed import (
    CIVIL,
    CREDIT_CODE,
    HOUSING,
    LICENSEE,
    add_item,
    add_officer,
    week_store,
)
from tests.unit.test_digest_send import OneRound, Recorder

NAMES = {p.id: p.name for p in example_catalogue().parties}
AT = time(8, 30)


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    """The digest's week, plus: 民政局's head (e-mail and phone); a breach of 民政局 recorded
    at the start of Friday 10-09 and one of 住建局 (which has no head)."""
    engine = week_store(tmp_path / "console.db")
    add_officer(engine, "sun.head", CIVIL, "head", email="sun@civil.example", phone="13900000009")
    add_item(
        engine,
        CIVIL,
        "WH-2026-0009",
        "养老机构备案",
        "2026-10-09T00:00:00+08:00",
        breached_at="2026-10-09T00:00:05+08:00",
    )
    add_item(
        engine,
        HOUSING,
        "WH-2026-0109",
        "建筑工程施工许可",
        "2026-10-09T00:00:00+08:00",
        breached_at="2026-10-09T00:00:07+08:00",
    )
    return engine


def _service(store: Engine, now: str, *channels: Recorder) -> DigestService:
    moment = parse_instant(now)
    return DigestService(
        store, DigestSettings(), list(channels), NAMES, default_calendar(), clock=lambda: moment
    )


def test_the_head_of_the_department_in_breach_is_told_once_on_each_channel(store: Engine) -> None:
    email, sms = Recorder("email"), Recorder("sms")
    outcomes = _service(store, "2026-10-09T08:30:00+08:00", email, sms).notify_breaches()
    name = NAMES[CIVIL]
    expected = (
        f"【审管联动】{name} 逾期未办理提醒\n"
        "事项 WH-2026-0009(养老机构备案)的审批结果认领,期限 2026-10-08 24:00,"
        "逾期未办理,已记录在案。请督促尽快办理。\n"
        "详情请登录审管联动平台查看。"
    )
    assert email.sent == [("sun.head", expected)] and sms.sent == [("sun.head", expected)]
    assert {o.state for o in outcomes} == {"sent"}
    assert LICENSEE not in expected and CREDIT_CODE not in expected


def test_a_breach_is_told_once_across_checks_and_restarts(store: Engine) -> None:
    _service(store, "2026-10-09T08:30:00+08:00", Recorder()).notify_breaches()
    again = Recorder()
    outcomes = _service(store, "2026-10-09T15:00:00+08:00", again).notify_breaches()
    assert again.sent == [] and {o.state for o in outcomes} == {"skipped"}
    with store.connect() as conn:
        kinds = {k.kind for k in sentlog.states(conn, date(2026, 10, 9))}
    assert len(kinds) == 1 and next(iter(kinds)).startswith("breach:")


@pytest.mark.parametrize(
    ("now", "told"),
    [
        ("2026-10-09T00:30:00+08:00", 0),  # the night of the breach: wait for the morning
        ("2026-10-09T08:29:00+08:00", 0),
        ("2026-10-09T08:30:00+08:00", 1),
        ("2026-10-09T23:50:00+08:00", 1),
        ("2026-10-11T09:00:00+08:00", 0),  # Sunday: no messages
        # The make-up working Saturday: the window starts at Friday's send time, when the
        # breach was told (a service away for a whole working day does not go back further).
        ("2026-10-10T09:00:00+08:00", 0),
    ],
)
def test_notices_go_out_on_working_days_for_recent_breaches(
    store: Engine, now: str, told: int
) -> None:
    channel = Recorder()
    _service(store, now, channel).notify_breaches()
    assert len(channel.sent) == told


def test_the_window_starts_at_the_previous_working_days_send_time() -> None:
    calendar = default_calendar()
    # Thursday 10-08, the first working day after the National Day holiday: back to
    # Wednesday 09-30's send time, so breaches recorded over the holiday are told.
    since = breach_window(parse_instant("2026-10-08T10:00:00+08:00"), AT, calendar)
    assert since == parse_instant("2026-09-30T08:30:00+08:00")
    assert breach_window(parse_instant("2026-10-03T10:00:00+08:00"), AT, calendar) is None


def test_officers_and_oversight_get_no_breach_notice(store: Engine) -> None:
    channel = Recorder()
    _service(store, "2026-10-09T08:30:00+08:00", channel).notify_breaches()
    assert [u for u, _ in channel.sent] == ["sun.head"]


def test_the_service_tells_breaches_beside_the_digest(store: Engine) -> None:
    channel = Recorder()
    _service(store, "2026-10-09T08:30:00+08:00", channel).run(OneRound())
    assert [u for u, _ in channel.sent] == ["li.civil", "zhao.oversight", "sun.head"]


def test_a_head_gets_no_daily_digest(store: Engine) -> None:
    channel = Recorder()
    _service(store, "2026-10-09T08:30:00+08:00", channel).send_day(date(2026, 10, 9))
    assert "sun.head" not in [u for u, _ in channel.sent]
