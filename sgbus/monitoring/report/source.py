"""Reading the watchdog's obligations for a report period from the SQL store."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from sgbus.bus.regions import scope_prefix
from sgbus.bus.store.tables import obligations
from sgbus.monitoring.report.model import ObligationFacts, period_bounds


def load_facts(
    conn: Connection, start: date, end: date, region: str | None = None
) -> list[ObligationFacts]:
    """Obligations opened from ``start`` to ``end`` inclusive (Asia/Shanghai days); with
    ``region``, only those of events inside it (a county, a city with its counties, or a
    province: :func:`~sgbus.bus.regions.scope_prefix`)."""
    lo, hi = period_bounds(start, end)
    o = obligations.c
    q = (
        select(o.flow, o.debtor, o.opened_at, o.due_at, o.state, o.answered_at)
        .where(o.opened_at >= lo, o.opened_at < hi)
        .order_by(o.opened_at)
    )
    if region is not None:
        # A prefix of digits only (checked by scope_prefix): no LIKE wildcards can slip in.
        q = q.where(o.region.startswith(scope_prefix(region)))
    return [
        ObligationFacts(r.flow, r.debtor, r.opened_at, r.due_at, r.state, r.answered_at)
        for r in conn.execute(q)
    ]
