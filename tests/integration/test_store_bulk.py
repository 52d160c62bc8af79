"""The bulk statements that bypass SQLAlchemy's per-value processing stores what SQLAlchemy would.

Runs on SQLite and PostgreSQL (``store_engine``): the stored values are compared as the
driver returns them, so a difference in the text of a SQLite instant would show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import StatementError

from sgbus.bus.obligations.model import ExpiryAction, Obligation, State
from sgbus.bus.store.bulk import insert_ignore_many
from sgbus.bus.store.tables import early_answers, obligations
from sgbus.bus.store.upsert import _insert
from sgbus.consumers.watchdog.ledger import to_row
from tests import factories

CST = timezone(timedelta(hours=8))


def rows(prefix: str, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        opened = datetime(2026, 11, 20, 9, 30, i % 60, (i * 1000) % 1_000_000, tzinfo=CST)
        opening = factories.opening(
            f"{prefix}-{i:04d}",
            debtor="weihai-drc",
            creditor="weihai-approval",
            case_key=f"371000:测试〔2026〕{i}号",
            opened_at=opened,
            due_at=opened + timedelta(days=3),
            remind_at=None if i % 2 else opened + timedelta(days=2),
            provisional=bool(i % 3),
            action=ExpiryAction.AUTO_CLAIM,
            source="anqiu.md 第十八条",
        )
        state = State.OPEN if i % 4 else State.DISCHARGED
        answered = opened + timedelta(hours=1) if state is State.DISCHARGED else None
        ob = Obligation(
            opening=opening,
            state=state,
            answered_at=answered,
            answer_event_id="a" if answered else None,
            closed_at=answered,
            transitions=(("open", opened),),
        )
        out.append(to_row(ob))
    return out


def stored(engine: Engine, table: Any, key: str) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them (no SQLAlchemy result processing)."""
    with engine.connect() as conn:
        sql = f"SELECT * FROM {table.name} ORDER BY {key}"
        return [tuple(r) for r in conn.exec_driver_sql(sql).all()]


def test_bulk_insert_stores_what_sqlalchemy_stores(store_engine: Engine) -> None:
    fast, core = rows("fast", 50), rows("core", 50)
    with store_engine.begin() as conn:
        insert_ignore_many(conn, obligations, fast)
        conn.execute(_insert(conn, obligations).on_conflict_do_nothing(), core)
    got = stored(store_engine, obligations, "request_event_id")
    by_source = {r[2][:4]: [] for r in got}  # column 2 is request_event_id
    for r in got:
        by_source[r[2][:4]].append(r)
    assert len(by_source["fast"]) == len(by_source["core"]) == 50
    for f, c in zip(by_source["fast"], by_source["core"], strict=True):
        # Everything but the ids and the texts derived from them is stored identically.
        same = [i for i, (a, b) in enumerate(zip(f, c, strict=True)) if a == b]
        differ = {obligations.columns.keys()[i] for i in range(len(f)) if i not in same}
        assert differ <= {"id", "request_event_id"}, differ


def test_bulk_insert_skips_existing_keys_and_reads_back(store_engine: Engine) -> None:
    first = rows("dup", 10)
    with store_engine.begin() as conn:
        insert_ignore_many(conn, obligations, first)
        insert_ignore_many(conn, obligations, first + rows("new", 5))
        insert_ignore_many(
            conn,
            early_answers,
            [{"obligation_id": "x", "answer_event_id": "y", "answered_at": datetime.now(UTC)}],
        )
    with store_engine.connect() as conn:
        back = conn.execute(select(obligations).order_by(obligations.c.request_event_id)).all()
    assert len(back) == 15
    assert back[0].opened_at == first[0]["opened_at"]
    assert back[0].opened_at.tzinfo is not None


def test_bulk_insert_refuses_a_naive_instant(store_engine: Engine) -> None:
    bad = rows("naive", 1)
    bad[0]["opened_at"] = bad[0]["opened_at"].replace(tzinfo=None)
    # SQLAlchemy's path (PostgreSQL) wraps the type's ValueError in a StatementError.
    with (
        pytest.raises((ValueError, StatementError), match="timezone-aware"),
        store_engine.begin() as conn,
    ):
        insert_ignore_many(conn, obligations, bad)


def test_bulk_update_saves_what_is_read_back(store_engine: Engine) -> None:
    from dataclasses import replace

    from sgbus.consumers.watchdog.ledger import _save_all, from_row

    with store_engine.begin() as conn:
        insert_ignore_many(conn, obligations, rows("upd", 20))
    with store_engine.connect() as conn:
        before = [from_row(r) for r in conn.execute(select(obligations))]
    at = datetime(2026, 11, 23, 1, 2, 3, 456000, tzinfo=CST)
    changed = [
        replace(ob, state=State.BREACHED, closed_at=at, transitions=(*ob.transitions, ("x", at)))
        for ob in before[::2]
    ]
    with store_engine.begin() as conn:
        _save_all(conn, changed)
    with store_engine.connect() as conn:
        after = {r.id: from_row(r) for r in conn.execute(select(obligations))}
    for ob in changed:
        assert after[ob.id] == ob
    for ob in before[1::2]:
        assert after[ob.id] == ob


def test_bulk_insert_of_inbox_items_stores_bytes_and_states_as_sqlalchemy_does(
    store_engine: Engine,
) -> None:
    from sgbus.bus.store.tables import inbox_items
    from sgbus.consumers.department.store import ClaimState

    def item(event_id: str, state: ClaimState) -> dict[str, Any]:
        at = datetime(2026, 11, 20, 9, 0, tzinfo=CST)
        return {
            "event_id": event_id,
            "party": "weihai-drc",
            "event_type": "ApprovalResult",
            "case_key": "371000:测试〔2026〕1号",
            "sender": "weihai-approval",
            "occurred_at": at,
            "received_at": at + timedelta(seconds=1),
            "source_topic": "sg.weihai-drc.inbox",
            "source_partition": 2,
            "source_offset": 41,
            "value": b"\x00\x01\xfe\xff avro",
            "claim_state": state,
        }

    with store_engine.begin() as conn:
        insert_ignore_many(conn, inbox_items, [item("f1", ClaimState.PENDING)])
        insert_ignore_many(conn, inbox_items, [item("f2", ClaimState.INFO)])
        conn.execute(
            _insert(conn, inbox_items).on_conflict_do_nothing(),
            [item("c1", ClaimState.PENDING), item("c2", ClaimState.INFO)],
        )
    got = {r[0]: r[1:] for r in stored(store_engine, inbox_items, "event_id")}
    assert got["f1"] == got["c1"] and got["f2"] == got["c2"]
