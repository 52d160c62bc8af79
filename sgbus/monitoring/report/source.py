"""Reading the watchdog's obligations for a report period from the SQL store."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from sgbus.bus.store.tables import obligations
from sgbus.monitoring.report.model import ObligationFacts, period_bounds


def load_facts(conn: Connection, start: date, end: date) -> list[ObligationFacts]:
    """Obligations opened from ``start`` to ``end`` inclusive (Asia/Shanghai days)."""
    lo, hi = period_bounds(start, end)
    o = obligations.c
    q = (
        select(o.flow, o.debtor, o.opened_at, o.due_at, o.state, o.answered_at)
        .where(o.opened_at >= lo, o.opened_at < hi)
        .order_by(o.opened_at)
    )
    return [
        ObligationFacts(r.flow, r.debtor, r.opened_at, r.due_at, r.state, r.answered_at)
        for r in conn.execute(q)
    ]
