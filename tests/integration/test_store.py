"""The SQL store on both supported databases: migrations, offsets, outbox, dedupe."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, select

from sgbus.bus.store import migrate
from sgbus.bus.store.offsets import load_offsets, next_offsets_of, save_offsets
from sgbus.bus.store.outbox import OutgoingMessage, enqueue, mark_sent, pending
from sgbus.bus.store.tables import inbox_items


def test_migrations_create_tables_and_are_idempotent(store_engine: Engine) -> None:
    migrate(store_engine)
    names = set(inspect(store_engine).get_table_names())
    assert {"consumer_offsets", "outbox", "inbox_items", "alembic_version"} <= names


def test_offsets_round_trip_and_move_forward(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        save_offsets(conn, "g", next_offsets_of([("t", 0, 5), ("t", 0, 9), ("t", 1, 0)]))
    with store_engine.begin() as conn:
        save_offsets(conn, "g", {("t", 0): 12})
        save_offsets(conn, "other", {("t", 0): 1})
    with store_engine.connect() as conn:
        assert load_offsets(conn, "g") == {("t", 0): 12, ("t", 1): 1}


def test_outbox_skips_known_event_ids_and_relays_in_order(store_engine: Engine) -> None:
    msgs = [
        OutgoingMessage(f"id-{i}", "sg.x.outbox", b"k", b"v%d" % i, {"h": "1"}) for i in range(3)
    ]
    with store_engine.begin() as conn:
        enqueue(conn, msgs)
    with store_engine.begin() as conn:
        enqueue(conn, [msgs[0], msgs[0]])  # known, and twice in one call
    with store_engine.begin() as conn:
        rows = pending(conn)
        assert [r.message for r in rows] == msgs
        mark_sent(conn, [rows[0].seq])
    with store_engine.connect() as conn:
        assert [r.message.event_id for r in pending(conn)] == ["id-1", "id-2"]


def test_rollback_leaves_no_half_written_state(store_engine: Engine) -> None:
    with pytest.raises(RuntimeError), store_engine.begin() as conn:
        save_offsets(conn, "g", {("t", 0): 3})
        enqueue(conn, [OutgoingMessage("x", "t", None, b"v")])
        raise RuntimeError("crash between effect and commit")
    with store_engine.connect() as conn:
        assert load_offsets(conn, "g") == {}
        assert pending(conn) == []
        assert conn.execute(select(inbox_items)).all() == []
