"""Reading obligations back for people: filters for the ``sgbus obligations`` command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.obligations.model import Obligation, State
from sgbus.bus.store.tables import obligations
from sgbus.consumers.watchdog.ledger import from_row


@dataclass(frozen=True)
class ObligationFilter:
    """Which obligations to list. Unset fields do not filter."""

    party: str | None = None
    """Debtor or creditor."""
    case_key: str | None = None
    state: State | None = None
    overdue: bool = False
    """Deadline passed and nobody answered (open, or breached without even a late answer)."""
    limit: int = 100


def list_obligations(conn: Connection, f: ObligationFilter, now: datetime) -> list[Obligation]:
    """Obligations matching ``f``, earliest deadline first."""
    c = obligations.c
    q = select(obligations)
    if f.party:
        q = q.where(or_(c.debtor == f.party, c.creditor == f.party))
    if f.case_key:
        q = q.where(c.case_key == f.case_key)
    if f.state:
        q = q.where(c.state == f.state.value)
    if f.overdue:
        q = q.where(
            c.due_at <= now,
            or_(
                c.state == State.OPEN.value,
                and_(c.state == State.BREACHED.value, c.answered_at.is_(None)),
            ),
        )
    q = q.order_by(c.due_at, c.id).limit(f.limit)
    return [from_row(r) for r in conn.execute(q)]


def local(moment: datetime | None) -> str:
    """An instant as Asia/Shanghai wall-clock time, to the minute; ``-`` for none."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else "-"


def as_json(ob: Obligation) -> dict[str, Any]:
    """One obligation as a JSON-ready mapping (instants in ISO 8601, Asia/Shanghai)."""
    o = ob.opening

    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(CHINA_TZ).isoformat() if moment else None

    return {
        "id": ob.id,
        "flow": o.flow,
        "case_key": o.case_key,
        "region": o.region,
        "debtor": o.debtor,
        "creditor": o.creditor,
        "request_event_id": o.request_event_id,
        "request_event_type": o.request_event_type,
        "opened_at": iso(o.opened_at),
        "due_at": iso(o.due_at),
        "due_at_is_exclusive": True,
        "remind_at": iso(o.remind_at),
        "provisional": o.provisional,
        "at_expiry": o.action.value,
        "escalate_to": o.escalate_to,
        "rule": o.source,
        "state": ob.state.value,
        "reminded_at": iso(ob.reminded_at),
        "closed_at": iso(ob.closed_at),
        "answer_event_id": ob.answer_event_id,
        "answered_at": iso(ob.answered_at),
        "transitions": [[s, iso(t)] for s, t in ob.transitions],
        "suspended_at": iso(ob.suspended_at),
        "original_due_at": iso(o.original_due_at),
        "handed_over_from": o.handed_over_from,
        "urgings": [[e, iso(t)] for e, t in ob.urgings],
    }
