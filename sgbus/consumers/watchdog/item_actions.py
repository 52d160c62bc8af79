"""Officers' actions applied to stored obligations, in the caller's transaction.

The pure parts are :mod:`sgbus.bus.obligations.actions` (what an audit record does) and
:mod:`sgbus.bus.obligations.machine` (how an obligation changes); this module finds the
obligations an action names and stores the result. An action names its obligation by request
and debtor, not by flow: the candidate ids of every flow are looked up by primary key.

Actions come after the openings and answers of their batch and are applied in audit-log order,
so a transfer finds the obligation its item opened even when both arrived in one batch. An
action naming no obligation (an item this watchdog never saw, or one before the watchdog
started) changes nothing and is reported as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from sgbus.bus.calendar import Deadline, OutOfCalendar
from sgbus.bus.obligations.actions import ActionKind, ItemAction
from sgbus.bus.obligations.machine import (
    answer,
    handover_opening,
    open_obligation,
    resume,
    suspend,
    transfer_out,
    urge,
)
from sgbus.bus.obligations.model import Answer, Obligation, Opening, Outcome, obligation_id
from sgbus.bus.policy import Flow
from sgbus.bus.store.bulk import insert_ignore_many
from sgbus.bus.store.tables import obligations
from sgbus.consumers.watchdog.ledger import BatchResult, from_row, save_changed, to_row

#: The period of a handed-over obligation: (due, reminder) for ``flow`` in ``region`` counted
#: from an instant, under the policy and calendar the watchdog runs with.
DeadlineOf = Callable[[str, str, datetime], tuple[Deadline, Deadline | None]]


@dataclass
class ActionsResult:
    """What applying actions did, beyond :class:`BatchResult`."""

    applied: list[ItemAction] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Why an action changed nothing (ids and kinds only, never personal data)."""


def apply_actions(
    conn: Connection, actions: Sequence[ItemAction], deadline_of: DeadlineOf, result: BatchResult
) -> ActionsResult:
    """Apply ``actions`` in order; new obligations and outcomes are added to ``result``."""
    out = ActionsResult()
    for action in actions:
        found = _obligations_of(conn, action.item_event_id, action.party)
        if not found:
            out.skipped.append(
                f"{action.kind.value} {action.event_id}: no obligation of {action.party}"
                f" for {action.item_event_id}"
            )
            continue
        for ob in found:
            _apply_one(conn, ob, action, deadline_of, result, out)
        out.applied.append(action)
    return out


def _apply_one(
    conn: Connection,
    ob: Obligation,
    action: ItemAction,
    deadline_of: DeadlineOf,
    result: BatchResult,
    out: ActionsResult,
) -> None:
    outcomes: list[Outcome] = []
    kind = action.kind
    if kind is ActionKind.URGING:
        new = urge(ob, action.event_id, action.at)
    elif kind is ActionKind.DISPUTE:
        new, outcomes = suspend(ob, action.at)
    elif kind is ActionKind.HANDOVER_CLAIM:
        o = ob.opening
        claim = Answer(o.flow, o.request_event_id, o.debtor, action.event_id, action.at)
        new, outcomes = answer(ob, claim)
        if new.answer_event_id != ob.answer_event_id:
            result.answered.append(new)
    elif kind is ActionKind.RULING and action.receiver == action.party:
        new, outcomes = resume(ob, action.at)
    else:  # a transfer, or a ruling that gives the item to another department
        new, outcomes = transfer_out(ob, action.at)
        why = _hand_over(conn, new, action, deadline_of, result)
        if why:
            out.skipped.append(f"{action.kind.value} {action.event_id}: {why}")
    if new != ob:
        save_changed(conn, [new])
    result.outcomes += outcomes


def _hand_over(
    conn: Connection,
    before: Obligation,
    action: ItemAction,
    deadline_of: DeadlineOf,
    result: BatchResult,
) -> str | None:
    """Open the receiver's obligation (once: its id is derived from the handover event);
    why not, when the policy cannot count its period."""
    if action.receiver is None or action.receiver == before.opening.debtor:
        return None
    try:
        due, remind = deadline_of(before.opening.flow, action.region, action.at)
    except (KeyError, OutOfCalendar) as exc:  # flow gone from the policy; beyond the calendar
        return f"receiver's obligation not opened: {exc}"
    opening = handover_opening(
        before,
        request_event_id=action.event_id,
        request_event_type=action.event_type,
        receiver=action.receiver,
        at=action.at,
        due_at=due.due_at,
        remind_at=remind.due_at if remind else None,
        provisional=due.provisional or bool(remind and remind.provisional),
    )
    if _exists(conn, opening):
        return None
    insert_ignore_many(conn, obligations, [to_row(open_obligation(opening))])
    result.opened.append(opening)
    return None


def _exists(conn: Connection, opening: Opening) -> bool:
    q = select(obligations.c.id).where(obligations.c.id == opening.id)
    return conn.execute(q).first() is not None


def _obligations_of(conn: Connection, request_event_id: str, debtor: str) -> list[Obligation]:
    """The obligations ``request_event_id`` put on ``debtor``, whatever their flow."""
    ids = [obligation_id(f.value, request_event_id, debtor) for f in Flow]
    q = select(obligations).where(obligations.c.id.in_(ids)).order_by(obligations.c.id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()  # the sweep may be looking at the same rows
    return [from_row(r) for r in conn.execute(q)]
