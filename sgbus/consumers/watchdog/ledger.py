"""Obligations in SQL: the pure state machine applied to stored rows.

Every function runs inside the caller's transaction, so the state change, the outcome
events written to the outbox and the consumed offsets commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.obligations.machine import answer, open_obligation, tick
from sgbus.bus.obligations.model import (
    Answer,
    ExpiryAction,
    Obligation,
    Opening,
    Outcome,
    State,
)
from sgbus.bus.policy import Policy
from sgbus.bus.store.bulk import insert_ignore_many, update_rows
from sgbus.bus.store.tables import early_answers, obligations


@dataclass
class BatchResult:
    """What applying a batch of openings and answers did."""

    opened: list[Opening] = field(default_factory=list)
    """Obligations opened now (not seen before)."""
    answered: list[Obligation] = field(default_factory=list)
    """Obligations that received their first answer now, as they stand after it."""
    outcomes: list[Outcome] = field(default_factory=list)


def apply_batch(
    conn: Connection, openings: Sequence[Opening], answers: Sequence[Answer]
) -> BatchResult:
    """Open new obligations and apply answers, in any order; duplicates change nothing.

    Answers are taken in the order given (the first for an obligation counts); an answer kept
    from an earlier batch comes before any in this one. Answers to obligations not open yet
    are kept until their request arrives.
    """
    result = BatchResult()
    by_id: dict[str, Opening] = {}
    for o in openings:
        by_id.setdefault(o.id, o)
    answer_of: dict[str, Answer] = {}
    for a in answers:
        answer_of.setdefault(a.obligation_id, a)
    new_ids = _absent(conn, list(by_id))
    early = _early_answers(conn, new_ids)
    rows = []
    for oid in new_ids:
        o = by_id[oid]
        ob = open_obligation(o)
        result.opened.append(o)
        kept = early.get(oid)
        first = (
            Answer(o.flow, o.request_event_id, o.debtor, kept[0], kept[1])
            if kept
            else answer_of.get(oid)
        )
        if first is not None:
            ob, out = answer(ob, first)
            result.answered.append(ob)
            result.outcomes += out
        rows.append(to_row(ob))
    insert_ignore_many(conn, obligations, rows)
    if early:
        conn.execute(delete(early_answers).where(early_answers.c.obligation_id.in_(list(early))))
    fresh = set(new_ids)
    rest = {oid: a for oid, a in answer_of.items() if oid not in fresh}
    _answer_stored(conn, rest, result)
    return result


def _absent(conn: Connection, ids: list[str]) -> list[str]:
    if not ids:
        return []
    q = select(obligations.c.id).where(obligations.c.id.in_(ids))
    present = set(conn.execute(q).scalars())
    return [i for i in ids if i not in present]


def _early_answers(conn: Connection, ids: list[str]) -> dict[str, tuple[str, datetime]]:
    """Answer event id and time of answers kept for obligations ``ids``."""
    if not ids:
        return {}
    q = select(early_answers).where(early_answers.c.obligation_id.in_(ids))
    return {r.obligation_id: (r.answer_event_id, r.answered_at) for r in conn.execute(q)}


def _answer_stored(conn: Connection, answer_of: dict[str, Answer], result: BatchResult) -> None:
    if not answer_of:
        return
    q = select(obligations).where(obligations.c.id.in_(list(answer_of)))
    changed = []
    found = set()
    for row in conn.execute(q):
        found.add(row.id)
        before = from_row(row)
        ob, out = answer(before, answer_of[row.id])
        if ob != before:
            changed.append(ob)
            if before.answer_event_id is None:
                result.answered.append(ob)
        result.outcomes += out
    _save_all(conn, changed)
    insert_ignore_many(
        conn,
        early_answers,
        [
            {
                "obligation_id": oid,
                "answer_event_id": a.answer_event_id,
                "answered_at": a.answered_at,
            }
            for oid, a in answer_of.items()
            if oid not in found
        ],
    )


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
    changed = []
    for row in conn.execute(q).all():
        before = from_row(row)
        ob, out = tick(before, now)
        if ob != before:
            changed.append(ob)
        outcomes += out
    _save_all(conn, changed)
    return outcomes


@dataclass(frozen=True)
class DeadlineChange:
    """A provisional deadline recomputed on a new calendar."""

    obligation_id: str
    flow: str
    case_key: str
    due_before: datetime
    due_after: datetime
    remind_before: datetime | None
    remind_after: datetime | None
    provisional_after: bool


#: The policy and calendar obligations of a region follow; None for a region no rules cover.
RulesOf = Callable[[str], tuple[Policy, WorkingCalendar] | None]


def recompute_provisional(
    conn: Connection, policy: Policy, calendar: WorkingCalendar
) -> tuple[list[DeadlineChange], list[str]]:
    """Recompute ``due_at``, ``remind_at`` and ``provisional`` of open provisional obligations.

    Returns the changes made and the obligations left alone, with why (flow no longer in the
    policy, or a period counted backwards opened before its anchor was stored).
    """
    return recompute_provisional_by_region(conn, lambda _region: (policy, calendar))


def recompute_provisional_by_region(
    conn: Connection, rules_of: RulesOf
) -> tuple[list[DeadlineChange], list[str]]:
    """:func:`recompute_provisional`, each obligation under the rules of its own region."""
    q = select(obligations).where(
        obligations.c.state == State.OPEN.value, obligations.c.provisional.is_(True)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    changes: list[DeadlineChange] = []
    kept: list[str] = []
    updated: list[Obligation] = []
    for row in conn.execute(q).all():
        ob = from_row(row)
        o = ob.opening
        rules = rules_of(o.region)
        if rules is None:
            kept.append(f"{ob.id} ({o.flow}): region {o.region} is covered by no rules")
            continue
        policy, calendar = rules
        rule = policy.rules_by_flow.get(o.flow)
        # Forward periods open at their anchor (see the ingest module): for rows stored before
        # the anchor was, opened_at is it. A period counted backwards needs the stored anchor.
        anchor = o.anchor_at or (None if rule is not None and rule.before else o.opened_at)
        if rule is None or anchor is None:
            why = "no rule in the policy" if rule is None else "period counted backwards, no anchor"
            kept.append(f"{ob.id} ({o.flow}): {why}")
            continue
        due = policy.deadline(o.flow, anchor, calendar)
        remind = policy.reminder(o.flow, anchor, calendar)
        new = replace(
            o,
            due_at=due.due_at,
            remind_at=remind.due_at if remind else None,
            provisional=due.provisional or bool(remind and remind.provisional),
        )
        if new == o:
            continue
        updated.append(replace(ob, opening=new))
        changes.append(
            DeadlineChange(
                ob.id,
                o.flow,
                o.case_key,
                o.due_at,
                new.due_at,
                o.remind_at,
                new.remind_at,
                new.provisional,
            )
        )
    _save_all(conn, updated, _MUTABLE | _DEADLINE)
    return changes, kept


def save_changed(conn: Connection, obs: Sequence[Obligation]) -> None:
    """Write the state, history and deadline of ``obs`` (changed by an officer's action)."""
    _save_all(conn, obs, _MUTABLE | _DEADLINE)


def _save_all(
    conn: Connection, obs: Sequence[Obligation], columns: frozenset[str] | None = None
) -> None:
    """Write the changed columns of ``obs`` in one statement."""
    cols = sorted(columns or _MUTABLE)
    rows = []
    for ob in obs:
        row = to_row(ob)
        rows.append({"id": ob.id, **{c: row[c] for c in cols}})
    update_rows(conn, obligations, "id", rows)


_MUTABLE = frozenset(
    {
        "state",
        "reminded_at",
        "closed_at",
        "answer_event_id",
        "answered_at",
        "transitions",
        "next_check_at",
        "suspended_at",
        "urgings",
    }
)
_DEADLINE = frozenset({"due_at", "remind_at", "provisional"})


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
        "anchor_at": o.anchor_at,
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
        # In UTC, like the instant columns: the same history is the same text whichever
        # offset the instants arrived with.
        "transitions": json.dumps([[s, t.astimezone(UTC).isoformat()] for s, t in ob.transitions]),
        "next_check_at": next_check_at(ob),
        "original_due_at": o.original_due_at,
        "handed_over_from": o.handed_over_from,
        "suspended_at": ob.suspended_at,
        "urgings": (
            json.dumps([[e, t.astimezone(UTC).isoformat()] for e, t in ob.urgings])
            if ob.urgings
            else None
        ),
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
        anchor_at=r.anchor_at,
        original_due_at=r.original_due_at,
        handed_over_from=r.handed_over_from,
    )
    return Obligation(
        opening=opening,
        state=State(r.state),
        reminded_at=r.reminded_at,
        closed_at=r.closed_at,
        answer_event_id=r.answer_event_id,
        answered_at=r.answered_at,
        transitions=tuple((s, datetime.fromisoformat(t)) for s, t in json.loads(r.transitions)),
        suspended_at=r.suspended_at,
        urgings=tuple((e, datetime.fromisoformat(t)) for e, t in json.loads(r.urgings or "[]")),
    )
