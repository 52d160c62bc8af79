"""Reading the watchdog's obligations for a report period from the SQL store."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from sgbus.bus.obligations.model import State
from sgbus.bus.regions import scope_prefix
from sgbus.bus.store.tables import obligations
from sgbus.monitoring.report.model import ObligationFacts, period_bounds


def load_facts(
    conn: Connection, start: date, end: date, region: str | None = None
) -> list[ObligationFacts]:
    """Obligations opened from ``start`` to ``end`` inclusive (Asia/Shanghai days), and those
    opened earlier that were urged or disputed (their actions may fall in the period); with
    ``region``, only those of events inside it (a county, a city with its counties, or a
    province: :func:`~sgbus.bus.regions.scope_prefix`)."""
    lo, hi = period_bounds(start, end)
    o = obligations.c
    acted_on = or_(o.urgings.is_not(None), o.transitions.contains(f'"{State.SUSPENDED.value}"'))
    q = (
        select(
            o.flow,
            o.debtor,
            o.opened_at,
            o.due_at,
            o.state,
            o.answered_at,
            o.request_event_id,
            o.request_event_type,
            o.handed_over_from,
            o.transitions,
            o.urgings,
        )
        .where(o.opened_at < hi, or_(o.opened_at >= lo, acted_on))
        .order_by(o.opened_at)
    )
    if region is not None:
        # A prefix of digits only (checked by scope_prefix): no LIKE wildcards can slip in.
        q = q.where(o.region.startswith(scope_prefix(region)))
    return [_facts(r) for r in conn.execute(q)]


def _facts(r: Any) -> ObligationFacts:
    return ObligationFacts(
        r.flow,
        r.debtor,
        r.opened_at,
        r.due_at,
        r.state,
        r.answered_at,
        request_event_id=r.request_event_id,
        request_event_type=r.request_event_type,
        handed_over_from=r.handed_over_from,
        transitions=_instants(r.transitions),
        urgings=_instants(r.urgings),
    )


def _instants(text: str | None) -> tuple[tuple[str, datetime], ...]:
    """``[[label, iso-instant], …]`` JSON as the ledger writes it (see ``ledger.to_row``)."""
    return tuple((label, datetime.fromisoformat(at)) for label, at in json.loads(text or "[]"))
