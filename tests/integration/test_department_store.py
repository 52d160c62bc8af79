"""Department store semantics on SQLite and PostgreSQL: dedupe, claims, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from sgbus.bus.claims import CLAIMABLE
from sgbus.bus.events import ClaimMode
from sgbus.consumers.department.store import (
    InboxItem,
    find_items,
    item_value,
    mark_claimed,
    store_items,
)

T0 = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)


def item(n: int, event_type: str = "ApprovalResult", case: str = "c") -> InboxItem:
    return InboxItem(
        event_id=f"00000000-0000-0000-0000-{n:012d}",
        event_type=event_type,
        case_key=f"{case}{n}",
        sender="wh-approval",
        occurred_at=T0,
        received_at=T0 + timedelta(seconds=n),
        source_topic="sg.wh-market.inbox",
        source_partition=0,
        source_offset=n,
        value=b"bytes-%d" % n,
        claimable=event_type in CLAIMABLE,
    )


def test_duplicates_in_and_across_batches_are_stored_once(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        new = store_items(conn, "wh-market", [item(1), item(2), item(1)])
        assert [i.event_id for i in new] == [item(1).event_id, item(2).event_id]
    with store_engine.begin() as conn:
        assert store_items(conn, "wh-market", [item(2), item(3)]) == [item(3)]
    with store_engine.connect() as conn:
        assert len(find_items(conn, "wh-market")) == 3
        assert item_value(conn, item(3).event_id) == b"bytes-3"


def test_only_claimable_items_are_pending_and_a_claim_happens_once(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        store_items(conn, "wh-market", [item(1), item(2, "PolicyChangeReceipt")])
    with store_engine.connect() as conn:
        pending = find_items(conn, "wh-market", pending_only=True)
        assert [p["event_id"] for p in pending] == [item(1).event_id]
    with store_engine.begin() as conn:
        assert mark_claimed(conn, item(1).event_id, ClaimMode.MANUAL, "张三", T0, "claim-1")
        assert not mark_claimed(conn, item(1).event_id, ClaimMode.AUTOMATIC, "x", T0, "claim-2")
        assert not mark_claimed(conn, item(2).event_id, ClaimMode.MANUAL, "x", T0, None)
    with store_engine.connect() as conn:
        (row,) = find_items(conn, "wh-market", case_key="c1")
        assert (row["claim_state"], row["claim_mode"], row["claim_event_id"]) == (
            "claimed",
            "MANUAL",
            "claim-1",
        )
        assert find_items(conn, "wh-market", pending_only=True) == []
        assert find_items(conn, "other-party") == []


def test_many_claims_in_one_statement_touch_only_pending_items(store_engine: Engine) -> None:
    from sgbus.consumers.department.store import ClaimMark, mark_claimed_many

    with store_engine.begin() as conn:
        store_items(conn, "wh-market", [item(1), item(2), item(3, "PolicyChangeReceipt")])
        mark_claimed(conn, item(2).event_id, ClaimMode.MANUAL, "张三", T0, "claim-2")
    marks = [
        ClaimMark(item(n).event_id, ClaimMode.INTEGRATED, "wh-market", T0, f"c{n}")
        for n in (1, 2, 3)
    ]
    with store_engine.begin() as conn:
        mark_claimed_many(conn, marks)
        mark_claimed_many(conn, [])
    with store_engine.connect() as conn:
        got = {
            r["event_id"]: (r["claim_state"], r["claim_mode"], r["claim_event_id"], r["claimed_at"])
            for r in find_items(conn, "wh-market")
        }
    assert got[item(1).event_id] == ("claimed", "INTEGRATED", "c1", T0)
    assert got[item(2).event_id] == ("claimed", "MANUAL", "claim-2", T0)  # not overwritten
    assert got[item(3).event_id] == ("info", None, None, None)


def test_claim_modes_stored_before_0006_read_as_the_contracts_symbols(
    store_engine: Engine,
) -> None:
    """Stores written before migration 0006 hold lower-case modes; after it, every stored
    mode is a ClaimMode symbol, and downgrading gives the old words back."""
    from alembic import command
    from sqlalchemy import text

    from sgbus.bus.store import migrate
    from sgbus.bus.store.migrate import alembic_config

    command.downgrade(alembic_config(store_engine), "0005")
    with store_engine.begin() as conn:
        store_items(conn, "wh-market", [item(n) for n in (1, 2, 3, 4)])
        for n, mode in ((1, "manual"), (2, "integrated"), (3, "automatic")):
            conn.execute(
                text(
                    "UPDATE inbox_items SET claim_state = 'claimed', claim_mode = :m"
                    " WHERE event_id = :e"
                ),
                {"m": mode, "e": item(n).event_id},
            )
    migrate(store_engine)
    with store_engine.connect() as conn:
        modes = {r["event_id"]: r["claim_mode"] for r in find_items(conn, "wh-market")}
    assert [modes[item(n).event_id] for n in (1, 2, 3, 4)] == [
        ClaimMode.MANUAL,
        ClaimMode.INTEGRATED,
        ClaimMode.AUTOMATIC,
        None,
    ]
    assert {ClaimMode(m) for m in modes.values() if m} == {
        ClaimMode.MANUAL,
        ClaimMode.INTEGRATED,
        ClaimMode.AUTOMATIC,
    }
    command.downgrade(alembic_config(store_engine), "0005")
    with store_engine.connect() as conn:
        old = conn.execute(text("SELECT claim_mode FROM inbox_items ORDER BY event_id"))
        assert [r[0] for r in old] == ["manual", "integrated", "automatic", None]
