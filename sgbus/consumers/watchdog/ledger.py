"""Obligations in SQL: the pure state machine applied to stored rows.

Every function runs inside the caller's transaction, so the state change, the outcome
events written to the outbox and the consumed offsets commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from sgbus.bus.obligations.machine import answer, open_obligation, tick
from sgbus.bus.obligations.model import (
    Answer,
    ExpiryAction,
    Obligation,
    Opening,
    Outcome,
    State,
)
from sgbus.bus.store.tables import early_answers, obligations
from sgbus.bus.store.upsert import insert_ignore


def open_all(conn: Connection, openings: Sequence[Opening]) -> list[Outcome]:
    """Open obligations not already open; apply answers that arrived before them."""
    by_id = {o.id: o for o in openings}
    if not by_id:
        return []
    existing = set(
        conn.execute(select(obligations.c.id).where(obligations.c.id.in_(list(by_id)))).scalars()
    )
    new_ids = [i for i in by_id if i not in existing]
    early = {
        r.obligation_id: r
        for r in conn.execute(
            select(early_answers).where(early_answers.c.obligation_id.in_(new_ids))
        )
    }
    rows, outcomes = [], []
    for oid in new_ids:
        ob = open_obligation(by_id[oid])
        if oid in early:
            e = early[oid]
            o = by_id[oid]
            ans = Answer(o.flow, o.request_event_id, o.debtor, e.answer_event_id, e.answered_at)
            ob, out = answer(ob, ans)
            outcomes += out
        rows.append(to_row(ob))
    insert_ignore(conn, obligations, rows)
    return outcomes


def answer_all(conn: Connection, answers: Sequence[Answer]) -> list[Outcome]:
    """Apply answers; those whose obligation is not open yet are kept for when it opens."""
    by_id: dict[str, Answer] = {}
    for a in answers:
        by_id.setdefault(a.obligation_id, a)
    if not by_id:
        return []
    found = {
        r.id: from_row(r)
        for r in conn.execute(select(obligations).where(obligations.c.id.in_(list(by_id))))
    }
    outcomes: list[Outcome] = []
    for oid, ans in by_id.items():
        if oid in found:
            ob, out = answer(found[oid], ans)
            if ob != found[oid]:
                _save(conn, ob)
            outcomes += out
    insert_ignore(
        conn,
        early_answers,
        [
            {
                "obligation_id": oid,
                "answer_event_id": a.answer_event_id,
                "answered_at": a.answered_at,
            }
            for oid, a in by_id.items()
            if oid not in found
        ],
    )
    return outcomes


def sweep(conn: Connection, now: datetime, limit: int = 1000) -> list[Outcome]:
    """Remind and expire what is due at ``now``; at most ``limit`` obligations per call."""
    q = (
        select(obligations)
        .where(obligations.c.next_check_at <= now)
        .order_by(obligations.c.next_check_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # Several watchdogs may sweep at once: each takes rows the others are not holding.
        q = q.with_for_update(skip_locked=True)
    outcomes: list[Outcome] = []
    for row in conn.execute(q).all():
        before = from_row(row)
        ob, out = tick(before, now)
        if ob != before:
            _save(conn, ob)
        outcomes += out
    return outcomes


def _save(conn: Connection, ob: Obligation) -> None:
    values = {k: v for k, v in to_row(ob).items() if k in _MUTABLE}
    conn.execute(update(obligations).where(obligations.c.id == ob.id).values(**values))


_MUTABLE = frozenset(
    {
        "state",
        "reminded_at",
        "closed_at",
        "answer_event_id",
        "answered_at",
        "transitions",
        "next_check_at",
    }
)


def next_check_at(ob: Obligation) -> datetime | None:
    """When the sweep must look at ``ob`` again; None once it is final."""
    if ob.state is not State.OPEN:
        return None
    remind = ob.opening.remind_at
    if remind is not None and ob.reminded_at is None and remind < ob.opening.due_at:
        return remind
    return ob.opening.due_at


def to_row(ob: Obligation) -> dict[str, Any]:
    """The table row of an obligation."""
    o = ob.opening
    return {
        "id": ob.id,
        "flow": o.flow,
        "request_event_id": o.request_event_id,
        "request_event_type": o.request_event_type,
        "debtor": o.debtor,
        "creditor": o.creditor,
        "case_key": o.case_key,
        "region": o.region,
        "opened_at": o.opened_at,
        "due_at": o.due_at,
        "remind_at": o.remind_at,
        "provisional": o.provisional,
        "action": o.action.value,
        "escalate_to": o.escalate_to,
        "source": o.source,
        "state": ob.state.value,
        "reminded_at": ob.reminded_at,
        "closed_at": ob.closed_at,
        "answer_event_id": ob.answer_event_id,
        "answered_at": ob.answered_at,
        "transitions": json.dumps([[s, t.isoformat()] for s, t in ob.transitions]),
        "next_check_at": next_check_at(ob),
    }


def from_row(r: Any) -> Obligation:
    """The obligation of a table row."""
    opening = Opening(
        flow=r.flow,
        request_event_id=r.request_event_id,
        request_event_type=r.request_event_type,
        debtor=r.debtor,
        creditor=r.creditor,
        case_key=r.case_key,
        region=r.region,
        opened_at=r.opened_at,
        due_at=r.due_at,
        remind_at=r.remind_at,
        provisional=bool(r.provisional),
        action=ExpiryAction(r.action),
        escalate_to=r.escalate_to,
        source=r.source,
    )
    return Obligation(
        opening=opening,
        state=State(r.state),
        reminded_at=r.reminded_at,
        closed_at=r.closed_at,
        answer_event_id=r.answer_event_id,
        answered_at=r.answered_at,
        transitions=tuple((s, datetime.fromisoformat(t)) for s, t in json.loads(r.transitions)),
    )
