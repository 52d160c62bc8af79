"""Obligations stored in SQL behave like the pure machine, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, select

from sgbus.bus.obligations.model import Answer, ExpiryAction, Opening, OutcomeKind
from sgbus.bus.store.tables import obligations
from sgbus.consumers.watchdog.ledger import apply_batch, from_row, sweep
from tests import factories

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 9, 30, 16, 0, tzinfo=CST)
DUE = datetime(2026, 10, 10, 0, 0, tzinfo=CST)
REMIND = datetime(2026, 10, 9, 0, 0, tzinfo=CST)


def opening(
    req: str, debtor: str = "wh-market", action: ExpiryAction = ExpiryAction.AUTO_CLAIM
) -> Opening:
    return factories.opening(
        req,
        debtor=debtor,
        opened_at=T0,
        due_at=DUE,
        remind_at=REMIND,
        action=action,
        source="《安丘市行政审批与监管协调联动实施办法》第十八条(一)",
    )


def ans(req: str, at: datetime, debtor: str = "wh-market") -> Answer:
    return factories.answer(req, at, debtor=debtor)


def test_instants_survive_storage_exactly(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        apply_batch(conn, [opening("r1")], [])
    with store_engine.connect() as conn:
        ob = from_row(conn.execute(select(obligations)).one())
    assert ob.opening.due_at == DUE and ob.opening.opened_at == T0
    assert ob.opening == opening("r1")


def test_open_answer_sweep_and_early_answer(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        assert (
            apply_batch(conn, [], [ans("r3", T0 + timedelta(hours=1))]).outcomes == []
        )  # before its request
        apply_batch(conn, [opening("r1"), opening("r2"), opening("r3"), opening("r1")], [])
        assert apply_batch(conn, [], [ans("r2", T0 + timedelta(days=1))]).outcomes == []
        assert (
            apply_batch(conn, [], [ans("r2", T0 + timedelta(days=2))]).outcomes == []
        )  # second answer
    with store_engine.begin() as conn:
        assert sweep(conn, REMIND - timedelta(seconds=1)) == []
        reminders = sweep(conn, REMIND + timedelta(seconds=1))
        assert [(o.kind, o.obligation.opening.request_event_id) for o in reminders] == [
            (OutcomeKind.REMINDER, "r1")
        ]
        assert sweep(conn, REMIND + timedelta(hours=1)) == []
    with store_engine.begin() as conn:
        expired = sweep(conn, DUE + timedelta(days=5))
        assert [(o.kind, o.at) for o in expired] == [(OutcomeKind.AUTO_CLAIM, DUE)]
        assert sweep(conn, DUE + timedelta(days=6)) == []
    with store_engine.connect() as conn:
        states = dict(
            conn.execute(select(obligations.c.request_event_id, obligations.c.state)).all()
        )
    assert states == {"r1": "auto-resolved", "r2": "discharged", "r3": "discharged"}


def test_late_answer_is_recorded_on_a_breached_obligation(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        apply_batch(conn, [opening("r1", action=ExpiryAction.BREACH_REPORT)], [])
        kinds = [o.kind for o in sweep(conn, DUE + timedelta(hours=1))]
        assert kinds == [OutcomeKind.REMINDER, OutcomeKind.BREACH]
        apply_batch(conn, [], [ans("r1", DUE + timedelta(days=1))])
    with store_engine.connect() as conn:
        ob = from_row(conn.execute(select(obligations)).one())
    assert ob.state.value == "breached" and ob.answered_at == DUE + timedelta(days=1)
    assert ob.answered_at.tzinfo is not None and ob.closed_at == DUE.astimezone(UTC)
