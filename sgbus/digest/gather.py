"""Reading what the digest is about from the console's store: each party's open work (the
console's own lists, so the digest and the console agree) and the directory's recipients."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select

from sgbus.bus.calendar.timeutil import china_midnight
from sgbus.bus.obligations.model import State
from sgbus.bus.store.tables import console_items, obligations
from sgbus.console import directory
from sgbus.console.readmodel.queries import ItemFilter, ItemRow, Tab, list_items, tab_counts
from sgbus.digest.compose import Breach, Entry, PartyWork, Recipient, pick_entries

_PAGE = 500
ROLES = frozenset({"officer", "oversight", "head"})


def parties_with_items(conn: Connection) -> list[str]:
    """Every party the console holds items of."""
    q = select(console_items.c.party).distinct().order_by(console_items.c.party)
    return list(conn.scalars(q))


def party_work(
    conn: Connection, party: str, name: str, day: date, now: datetime, list_size: int
) -> PartyWork:
    """``party``'s open work at ``now``: the console's 待认领 and 已逾期 counts, how many of
    the pending items are due by the end of ``day``, and the items to list."""
    counts = tab_counts(conn, party, now)
    end_of_day = china_midnight(day + timedelta(days=1))
    late = list_items(conn, ItemFilter(party, Tab.OVERDUE, per_page=max(1, list_size)), now)
    overdue = _entries(late.rows, overdue=True)
    pending, due_today = _pending(conn, party, now, end_of_day, list_size)
    return PartyWork(
        party,
        name,
        counts[Tab.PENDING],
        due_today,
        counts[Tab.OVERDUE],
        pick_entries(overdue, pending, list_size),
    )


def _pending(
    conn: Connection, party: str, now: datetime, end_of_day: datetime, list_size: int
) -> tuple[list[Entry], int]:
    """The first ``list_size`` pending items, and how many are due by ``end_of_day``. The list
    is earliest deadline first, so paging stops at the first item due later."""
    first: list[Entry] = []
    due_today = 0
    page = 1
    while True:
        rows = list_items(conn, ItemFilter(party, Tab.PENDING, page=page, per_page=_PAGE), now).rows
        if page == 1:
            first = _entries(rows[:list_size], overdue=False)
        due_today += sum(1 for r in rows if r.due_at is not None and r.due_at <= end_of_day)
        last = rows[-1] if rows else None
        if len(rows) < _PAGE or last is None or last.due_at is None or last.due_at > end_of_day:
            return first, due_today
        page += 1


def _entries(rows: list[ItemRow], *, overdue: bool) -> list[Entry]:
    return [Entry(r.case_key, r.matter_name, r.due_at, overdue) for r in rows]


def all_work(
    conn: Connection, names: Mapping[str, str], day: date, now: datetime, list_size: int
) -> dict[str, PartyWork]:
    """Every party's open work, by party id (department names from ``names``, else the id)."""
    return {
        p: party_work(conn, p, names.get(p, p), day, now, list_size)
        for p in parties_with_items(conn)
    }


def recipients(conn: Connection) -> list[Recipient]:
    """The directory's liaison officers, oversight officers and department heads, by party
    then name."""
    return [
        Recipient(e.username, e.party, e.role, e.email or None, e.phone or None)
        for e in directory.entries(conn)
        if e.role in ROLES
    ]


def breaches(conn: Connection, names: Mapping[str, str], since: datetime) -> list[Breach]:
    """The obligations breached at or after ``since`` (the console's sweep records them), in
    the order they were breached."""
    o, i = obligations.c, console_items.c
    q = (
        select(o.id, o.debtor, o.flow, o.case_key, i.matter_name, o.due_at, o.closed_at)
        .outerjoin(console_items, i.obligation_id == o.id)
        .where(o.state == State.BREACHED.value, o.closed_at >= since)
        .order_by(o.closed_at, o.id)
    )
    return [
        Breach(oid, debtor, names.get(debtor, debtor), flow, case, matter, due, closed)
        for oid, debtor, flow, case, matter, due, closed in conn.execute(q)
    ]
