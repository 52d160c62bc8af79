"""What reached the bus: approval results per receiving party, from the console's read model.

The console projects the whole audit log (every routed event, per party, with the router's
append time) and every claim, including the watchdog's auto-claims made on a party's behalf,
so one store answers all three questions. The claim deadline is the watchdog's own, kept in
the same store's obligations table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, and_, select

from sgbus.bus.store.tables import console_answers, console_items, obligations
from sgbus.reconcile.model import Delivery

APPROVAL_RESULT = "ApprovalResult"
AUTOMATIC = "AUTOMATIC"
_CHUNK = 500  # case keys per IN list: well under every database's parameter limit

_i = console_items.c
_a = console_answers.c
_o = obligations.c


def deliveries(conn: Connection, case_keys: Iterable[str]) -> list[Delivery]:
    """Every approval result delivered for ``case_keys``, one per (event, party)."""
    out: list[Delivery] = []
    for chunk in _chunks(sorted(set(case_keys)), _CHUNK):
        out += [_delivery(row) for row in conn.execute(_query(chunk)).mappings()]
    return out


def _query(keys: Sequence[str]) -> Select[Any]:
    claims = and_(_a.answered_event_id == _i.event_id, _a.party == _i.party, _a.kind == "claim")
    return (
        select(
            _i.event_id,
            _i.case_key,
            _i.party,
            _i.occurred_at,
            _i.received_at,
            _i.pooled,
            _a.answered_at,
            _a.mode,
            _o.due_at,
            _o.flow,
        )
        .select_from(
            console_items.outerjoin(console_answers, claims).outerjoin(
                obligations, _o.id == _i.obligation_id
            )
        )
        .where(_i.event_type == APPROVAL_RESULT, _i.case_key.in_(keys))
    )


def _delivery(r: RowMapping) -> Delivery:
    auto = r["mode"] == AUTOMATIC
    claim_flow = r["flow"] is not None and str(r["flow"]).endswith("claim")
    return Delivery(
        event_id=r["event_id"],
        case_key=r["case_key"],
        party=r["party"],
        occurred_at=r["occurred_at"],
        received_at=r["received_at"],
        pooled=bool(r["pooled"]),
        claimed_at=None if auto else r["answered_at"],
        auto_claimed_at=r["answered_at"] if auto else None,
        claim_due_at=r["due_at"] if claim_flow else None,
    )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
