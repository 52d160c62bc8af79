"""Metrics computed from the SQL store: obligation gauges and offsets kept with the state."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import Engine, insert

from sgbus.bus.obligations.model import Answer, ExpiryAction, Opening
from sgbus.bus.store.tables import consumer_offsets
from sgbus.consumers.watchdog.ledger import apply_batch, sweep
from sgbus.monitoring.lag import sql_committed
from sgbus.monitoring.obligation_gauges import refresh_obligation_gauges
from tests import factories

T0 = factories.T0  # Monday 09:00 in Shanghai
DUE = T0 + timedelta(days=3)


def opening(req: str, debtor: str, action: ExpiryAction, provisional: bool = False) -> Opening:
    return factories.opening(
        req,
        debtor=debtor,
        creditor="gm-approval",
        due_at=DUE,
        provisional=provisional,
        action=action,
    )


def gauge(name: str, party: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"party": party, "flow": "claim", "city": ""})


def test_open_overdue_and_provisional_gauges_follow_the_store(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        apply_batch(
            conn,
            [
                opening("a1", "gm-market", ExpiryAction.BREACH_REPORT),
                opening("a2", "gm-market", ExpiryAction.BREACH_REPORT, provisional=True),
                opening("a3", "gm-market", ExpiryAction.AUTO_CLAIM),
                opening("b1", "gm-fire", ExpiryAction.BREACH_REPORT),
            ],
            [],
        )
        apply_batch(conn, [], [Answer("claim", "b1", "gm-fire", "ans-b1", T0 + timedelta(hours=2))])
    with store_engine.connect() as conn:
        v = refresh_obligation_gauges(conn, T0 + timedelta(days=1))
    assert v.open == {("gm-market", "claim", ""): 3}
    assert v.overdue == {}
    assert v.provisional == {("gm-market", "claim", ""): 1}
    assert gauge("sgbus_obligations_open", "gm-market") == 3

    after_due = DUE + timedelta(minutes=1)
    with store_engine.connect() as conn:  # deadline passed, sweep not yet run: overdue
        assert refresh_obligation_gauges(conn, after_due).overdue == {("gm-market", "claim", ""): 3}
    with store_engine.begin() as conn:
        sweep(conn, after_due)  # a1, a2 breached; a3 auto-claimed (not overdue)
        apply_batch(
            conn, [], [Answer("claim", "a1", "gm-market", "late", after_due)]
        )  # late answer
    with store_engine.connect() as conn:
        v = refresh_obligation_gauges(conn, after_due)
    assert v.open == {} and v.provisional == {}
    assert v.overdue == {("gm-market", "claim", ""): 1}  # a2 only
    assert gauge("sgbus_obligations_open", "gm-market") == 0  # reset, not left at 3
    assert gauge("sgbus_obligations_overdue", "gm-market") == 1


def test_offsets_kept_in_the_store_feed_the_lag_reader(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        conn.execute(
            insert(consumer_offsets),
            [
                {
                    "group_id": "sgbus-watchdog",
                    "topic": "sg.audit",
                    "partition": 0,
                    "next_offset": 7,
                },
                {
                    "group_id": "sgbus-watchdog",
                    "topic": "sg.audit",
                    "partition": 1,
                    "next_offset": 9,
                },
                {"group_id": "other", "topic": "sg.audit", "partition": 0, "next_offset": 1},
            ],
        )
    read = sql_committed(store_engine, "sgbus-watchdog")
    assert read([("sg.audit", 0), ("sg.audit", 2)]) == {("sg.audit", 0): 7}


def test_gauges_are_refreshed_in_the_background_until_stopped(store_engine: Engine) -> None:
    import time

    from sgbus.monitoring.obligation_gauges import GaugeRefresher

    refresher = GaugeRefresher(store_engine, lambda: T0 + timedelta(days=1), 0.05).start()
    try:
        with store_engine.begin() as conn:
            openings = [opening(f"bg{i}", "gm-health", ExpiryAction.AUTO_CLAIM) for i in range(4)]
            apply_batch(conn, openings, [])
        deadline = time.monotonic() + 10
        while gauge("sgbus_obligations_open", "gm-health") != 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gauge("sgbus_obligations_open", "gm-health") == 4
    finally:
        refresher.stop()
    with store_engine.begin() as conn:
        apply_batch(conn, [opening("bg-late", "gm-health", ExpiryAction.AUTO_CLAIM)], [])
    time.sleep(0.3)
    assert gauge("sgbus_obligations_open", "gm-health") == 4  # stopped: no longer refreshed
