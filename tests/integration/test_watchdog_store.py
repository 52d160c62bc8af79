"""The watchdog's store without a broker: batches, calendar reload, the obligations command.

Runs on SQLite and PostgreSQL (``store_engine``) where the database matters.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from structlog.testing import capture_logs
from typer.testing import CliRunner

from sgbus.bus.calendar import WorkingCalendar, default_calendar, parse_override
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.obligations.model import Answer, ExpiryAction, Opening, State
from sgbus.bus.policy import load_preset
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.tables import early_answers, obligations
from sgbus.cli import _register, app
from sgbus.consumers.watchdog.calendars import apply_calendar
from sgbus.consumers.watchdog.ledger import apply_batch, from_row
from tests import factories
from tests.watchdog_kit import Scene, at, audit, city_catalogue

OVERRIDE_2027 = """
official_years: [2027]
holidays:
  - {from: 2027-01-01, to: 2027-01-04, name: 元旦}
"""


def claims(*events_at: str) -> list[Opening]:
    """Claim openings (安丘) of approval results pushed at the given instants."""
    s = Scene("anqiu")
    ing = Ingestor(load_preset("anqiu"), default_calendar(), city_catalogue("anqiu"))
    out = []
    for i, when in enumerate(events_at):
        ev = s.approval_result(f"st-{i}-{when}", at(*when.split()))
        out += [o for o in ing.ingest(audit(ev)).openings if o.flow == "claim"]
    return out


def stored(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {r.id: from_row(r) for r in conn.execute(select(obligations))}


def test_answers_in_one_batch_with_their_request_in_any_order(store_engine: Engine) -> None:
    (o,) = claims("2026-11-02 10:00")
    first = Answer(o.flow, o.request_event_id, o.debtor, "a-1", at("2026-11-03"))
    second = Answer(o.flow, o.request_event_id, o.debtor, "a-2", at("2026-11-04"))
    with store_engine.begin() as conn:
        result = apply_batch(conn, [o, o], [first, second])
    assert [x.id for x in result.opened] == [o.id]
    assert [ob.answer_event_id for ob in result.answered] == ["a-1"]
    ob = stored(store_engine)[o.id]
    assert ob.state is State.DISCHARGED and ob.answer_event_id == "a-1"  # type: ignore[attr-defined]


def test_an_answer_kept_from_an_earlier_batch_comes_first(store_engine: Engine) -> None:
    (o,) = claims("2026-11-02 10:00")
    late = Answer(o.flow, o.request_event_id, o.debtor, "late", at("2026-11-09"))
    early = Answer(o.flow, o.request_event_id, o.debtor, "early", at("2026-11-03"))
    with store_engine.begin() as conn:
        assert apply_batch(conn, [], [early]).opened == []
    with store_engine.begin() as conn:
        result = apply_batch(conn, [o], [late])
    assert result.outcomes == []  # on time: discharged, no reminder, no auto-claim
    with store_engine.connect() as conn:
        assert conn.execute(select(early_answers)).all() == []  # used, so removed
    assert stored(store_engine)[o.id].answer_event_id == "early"  # type: ignore[attr-defined]


def test_calendar_reload_recomputes_open_provisional_deadlines(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import structlog

    from sgbus.consumers.watchdog import calendars

    # A fresh logger: the module's may have been used (and cached, with the processors of
    # the moment) by another service earlier in the session, and would bypass the capture.
    monkeypatch.setattr(calendars, "log", structlog.get_logger(calendars.__name__))
    provisional, firm = claims("2026-12-30 10:00", "2026-11-02 10:00")
    closed = replace(provisional, request_event_id="00000000-0000-4000-8000-000000000001")
    assert provisional.provisional and not firm.provisional
    assert provisional.due_at == at("2027-01-06", "00:00")
    with store_engine.begin() as conn:
        apply_batch(conn, [provisional, firm, closed], [])
        # A closed obligation keeps the deadline it was judged by.
        answer = Answer(closed.flow, closed.request_event_id, closed.debtor, "x", at("2026-12-31"))
        apply_batch(conn, [], [answer])
    cal = WorkingCalendar([parse_override(OVERRIDE_2027, "2027.yaml")])
    with capture_logs() as logged:
        changes = apply_calendar(store_engine, load_preset("anqiu"), cal)
    assert [(c.obligation_id, c.due_after, c.remind_after) for c in changes] == [
        (provisional.id, at("2027-01-07", "00:00"), at("2027-01-06", "00:00"))
    ]
    after = stored(store_engine)
    ob = after[provisional.id]
    assert ob.opening.due_at == at("2027-01-07", "00:00") and not ob.opening.provisional  # type: ignore[attr-defined]
    assert after[firm.id].opening == firm  # type: ignore[attr-defined]
    assert after[closed.id].opening.due_at == at("2027-01-06", "00:00")  # type: ignore[attr-defined]
    with store_engine.connect() as conn:
        next_check = conn.execute(
            select(obligations.c.next_check_at).where(obligations.c.id == provisional.id)
        ).scalar_one()
    assert next_check == at("2027-01-06", "00:00")  # the new reminder time
    recomputed = [e for e in logged if e["event"] == "deadline recomputed"]
    assert [(e["obligation"], e["flow"], e["due_before"], e["due_after"]) for e in recomputed] == [
        (provisional.id, "claim", "2027-01-06T00:00:00+08:00", "2027-01-07T00:00:00+08:00")
    ]
    assert apply_calendar(store_engine, load_preset("anqiu"), cal) == []  # nothing left to do


# -- the command line ---------------------------------------------------------------------

runner = CliRunner()
_register()


@pytest.fixture
def seeded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'wd.db'}"
    engine = make_engine(url)
    migrate(engine)
    a, b = claims("2026-11-02 10:00", "2026-11-09 10:00")
    with engine.begin() as conn:
        apply_batch(
            conn, [a, b], [Answer(b.flow, b.request_event_id, b.debtor, "ok", at("2026-11-10"))]
        )
    return url


def test_obligations_command_filters_and_json(seeded: str) -> None:
    out = runner.invoke(app, ["obligations", "--db", seeded, "--json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [r["state"] for r in rows] == ["open", "discharged"]
    assert rows[0]["due_at"] == "2026-11-06T00:00:00+08:00"
    overdue = runner.invoke(
        app,
        [
            "obligations",
            "--db",
            seeded,
            "--overdue",
            "--now",
            "2026-11-20T00:00:00+08:00",
            "--json",
        ],
    )
    assert [json.loads(x)["case_key"] for x in overdue.output.splitlines()] == [rows[0]["case_key"]]
    none = runner.invoke(
        app,
        [
            "obligations",
            "--db",
            seeded,
            "--overdue",
            "--now",
            "2026-11-03T00:00:00+08:00",
            "--json",
        ],
    )
    assert none.output == ""
    case = runner.invoke(
        app, ["obligations", "--db", seeded, "--case", rows[1]["case_key"], "--json"]
    )
    assert [json.loads(x)["id"] for x in case.output.splitlines()] == [rows[1]["id"]]
    party = runner.invoke(app, ["obligations", "--db", seeded, "--party", "nobody", "--json"])
    assert party.exit_code == 2 and "unknown party 'nobody'" in party.output
    table = runner.invoke(app, ["obligations", "--db", seeded, "--party", "anqiu-approval"])
    assert (
        table.exit_code == 0 and "2 obligation(s)" in table.output and "discharged" in table.output
    )


def test_reload_calendar_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wd.db'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        apply_batch(conn, claims("2026-12-30 10:00"), [])
    override = tmp_path / "2027.yaml"
    override.write_text(OVERRIDE_2027, encoding="utf-8")
    args = ["watchdog", "reload-calendar", "--db", url, "--policy", "anqiu"]
    out = runner.invoke(app, [*args, "--calendar", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "1 provisional deadline(s) changed" in out.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text("holidays: [2027-13-01]\n", encoding="utf-8")
    out = runner.invoke(app, [*args, "--calendar", str(bad)])
    assert out.exit_code == 2 and "x.yaml" in out.output


def test_calendar_reload_recomputes_a_period_counted_backwards_from_its_stored_anchor(
    store_engine: Engine,
) -> None:
    policy = load_preset("weihai")
    meeting = at("2027-01-06", "14:30")  # 2027 has no official calendar yet: provisional
    due = policy.deadline("meeting-agenda", meeting, default_calendar())
    assert due.provisional
    agenda = factories.opening(
        "00000000-0000-4000-8000-0000000000a1",
        flow="meeting-agenda",
        request_event_type="MeetingAgenda",
        debtor="weihai-approval",
        creditor="weihai-market",
        case_key="371000:测试〔2026〕1号",
        opened_at=at("2026-12-20"),
        due_at=due.due_at,
        provisional=True,
        action=ExpiryAction.BREACH_REPORT,
        source="test",
        anchor_at=meeting,
    )
    legacy = replace(
        agenda, request_event_id="00000000-0000-4000-8000-0000000000a2", anchor_at=None
    )
    with store_engine.begin() as conn:
        apply_batch(conn, [agenda, legacy], [])
    cal = WorkingCalendar([parse_override(OVERRIDE_2027, "2027.yaml")])
    changes = apply_calendar(store_engine, policy, cal)
    want = policy.deadline("meeting-agenda", meeting, cal)
    assert want.due_at < due.due_at  # 1–4 January off: three working days reach further back
    assert [(c.obligation_id, c.due_after) for c in changes] == [(agenda.id, want.due_at)]
    after = stored(store_engine)
    assert after[agenda.id].opening.due_at == want.due_at  # type: ignore[attr-defined]
    assert after[agenda.id].opening.anchor_at == meeting  # type: ignore[attr-defined]
    assert after[legacy.id].opening.due_at == due.due_at  # type: ignore[attr-defined]
