"""The console's read model on SQLite and PostgreSQL: the same rows, lists and pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from sgbus.console.readmodel.queries import ItemFilter, Tab, get_item, list_items
from tests.console_web import client_for, console_for, feed, log_in
from tests.department_events import auto_claim_of
from tests.watchdog_kit import Scene, at, audit

W = Scene("weihai")
MARKET = W.party("market")
MON = at("2026-10-12", "10:00")


def test_lists_answers_and_pages_on_each_database(store_engine: Engine, tmp_path: Path) -> None:
    console = console_for(tmp_path, MON + timedelta(hours=1), engine=store_engine)
    results = [W.approval_result(10 + n, MON + timedelta(days=n)) for n in range(4)]
    claim = W.claim(20, results[0], "market", MON + timedelta(hours=2))
    feed(console, audit(claim))  # the claim first: it still counts when its item arrives
    feed(console, *(audit(r) for r in results), audit(claim), first_offset=1)
    feed(console, audit(results[1]), first_offset=1)  # read again: nothing changes
    ids = [str(r.envelope.event_id) for r in results]
    now = MON + timedelta(hours=1)
    with store_engine.connect() as conn:
        pending = list_items(conn, ItemFilter(MARKET, Tab.PENDING, per_page=2), now)
        claimed = list_items(conn, ItemFilter(MARKET, Tab.CLAIMED), now)
        case = list_items(conn, ItemFilter(MARKET, Tab.ALL, case="_"), now)
        detail = get_item(conn, ids[0], MARKET)
        last = get_item(conn, ids[3], MARKET)
    assert [r.event_id for r in pending.rows] == ids[1:3] and pending.total == 3
    assert pending.counts == {Tab.PENDING: 3, Tab.CLAIMED: 1, Tab.OVERDUE: 0}
    assert [r.event_id for r in claimed.rows] == ids[:1]
    assert case.total == 0  # "_" is a character, not a wildcard
    assert detail is not None and detail.row.claim_mode == "MANUAL"
    assert last is not None and last.row.due_at is not None
    late = last.row.due_at + timedelta(hours=1)  # every deadline has passed
    feed(console, audit(auto_claim_of(results[1], MARKET)), first_offset=10)
    with store_engine.connect() as conn:
        overdue = list_items(conn, ItemFilter(MARKET, Tab.OVERDUE), late)
        assert ids[1] not in {r.event_id for r in overdue.rows}  # auto-claimed
        assert [r.event_id for r in overdue.rows] == ids[2:]
    client = client_for(console)
    log_in(client, "li.ming", MARKET)
    page = client.get("/items?tab=all")
    assert page.status_code == 200 and all(i in page.text for i in ids)
