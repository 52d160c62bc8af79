"""Transitions of one obligation. Each function returns the new obligation and its outcomes.

Order independence: an answer may be seen before its request (it is then applied when the
request opens the obligation), requests and answers may be seen twice, and ticks may come at
any time; the final state and the set of outcomes are the same. To get there, every outcome
is a function of the obligation's facts, stamped with its scheduled time: a reminder exists
iff no answer came by the reminder time, an expiry outcome iff none came by the due time —
whenever the watchdog happens to notice (a sweep after downtime records the same facts).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sgbus.bus.obligations.model import (
    Answer,
    ExpiryAction,
    Obligation,
    Opening,
    Outcome,
    OutcomeKind,
    State,
    outcome_id,
)

_EXPIRY: dict[ExpiryAction, tuple[State, OutcomeKind]] = {
    ExpiryAction.AUTO_CLAIM: (State.AUTO_RESOLVED, OutcomeKind.AUTO_CLAIM),
    ExpiryAction.DEEMED_CONSENT: (State.AUTO_RESOLVED, OutcomeKind.DEEMED_CONSENT),
    ExpiryAction.BREACH_REPORT: (State.BREACHED, OutcomeKind.BREACH),
    ExpiryAction.ESCALATE: (State.BREACHED, OutcomeKind.ESCALATION),
}


def open_obligation(opening: Opening, early_answer: Answer | None = None) -> Obligation:
    """A new obligation; an answer seen before the request is applied at once."""
    ob = Obligation(opening, transitions=((State.OPEN.value, opening.opened_at),))
    return answer(ob, early_answer)[0] if early_answer else ob


def answer(ob: Obligation, ans: Answer) -> tuple[Obligation, list[Outcome]]:
    """Apply an answer. Before the (exclusive) due instant → discharged; otherwise the
    deadline passed, and the late answer is recorded (reports count it as late)."""
    if ob.answer_event_id is not None:
        return ob, []  # the first answer counts; duplicates and second answers change nothing
    recorded = replace(ob, answer_event_id=ans.answer_event_id, answered_at=ans.answered_at)
    if ob.state is State.SUSPENDED:
        # The clock is stopped, so the answer is in time: the debtor took the item after all.
        return _close(replace(recorded, suspended_at=None), State.DISCHARGED, ans.answered_at), []
    if ob.state is not State.OPEN:
        return recorded, []
    if ans.answered_at >= ob.opening.due_at:
        # Answered late but before any tick noticed: the deadline still passed.
        return expire(recorded)
    reminded, outcomes = _remind_if_due(recorded, ans.answered_at)
    return (
        replace(
            reminded,
            state=State.DISCHARGED,
            closed_at=ans.answered_at,
            transitions=(*reminded.transitions, (State.DISCHARGED.value, ans.answered_at)),
        ),
        outcomes,
    )


def tick(ob: Obligation, now: datetime) -> tuple[Obligation, list[Outcome]]:
    """Advance the clock to ``now``: remind when due for it, expire when overdue."""
    if ob.state is not State.OPEN:
        return ob, []
    if now >= ob.opening.due_at:
        return expire(ob)
    return _remind_if_due(ob, now)


def expire(ob: Obligation) -> tuple[Obligation, list[Outcome]]:
    """The deadline passed unanswered: take the policy's expiry action, stamped at due time."""
    reminded, outcomes = _remind_if_due(ob, ob.opening.due_at)
    state, kind = _EXPIRY[ob.opening.action]
    at = ob.opening.due_at
    closed = replace(
        reminded,
        state=state,
        closed_at=at,
        transitions=(*reminded.transitions, (state.value, at)),
    )
    return closed, [*outcomes, _outcome(closed, kind, at)]


def _remind_if_due(ob: Obligation, now: datetime) -> tuple[Obligation, list[Outcome]]:
    remind_at = ob.opening.remind_at
    if remind_at is None or ob.reminded_at is not None or now <= remind_at:
        return ob, []
    if remind_at >= ob.opening.due_at:
        return ob, []
    reminded = replace(ob, reminded_at=remind_at)
    return reminded, [_outcome(reminded, OutcomeKind.REMINDER, remind_at)]


def _outcome(ob: Obligation, kind: OutcomeKind, at: datetime) -> Outcome:
    return Outcome(outcome_id(ob.id, kind), kind, ob, at)


# -- officers' actions: transfer (转办), dispute (争议), ruling, urging (督办) -------------------


def transfer_out(ob: Obligation, at: datetime) -> tuple[Obligation, list[Outcome]]:
    """The debtor passed the item on at ``at`` (转办, or a ruling gave it to another party).

    In time (or while the clock is stopped) the obligation ends as TRANSFERRED, which is not a
    breach. Past the deadline, the deadline had already passed: it expires as it would have
    (a late transfer does not undo a breach). A final obligation does not change."""
    if ob.state is State.SUSPENDED:
        return _close(replace(ob, suspended_at=None), State.TRANSFERRED, at), []
    if ob.state is not State.OPEN:
        return ob, []
    if at >= ob.opening.due_at:
        return expire(ob)
    reminded, outcomes = _remind_if_due(ob, at)
    return _close(reminded, State.TRANSFERRED, at), outcomes


def suspend(ob: Obligation, at: datetime) -> tuple[Obligation, list[Outcome]]:
    """The debtor disputes the item at ``at``: the clock stops until a ruling.

    A dispute raised after the deadline comes too late: the obligation expires as it would
    have. Only an open obligation is suspended; any other is returned unchanged."""
    if ob.state is not State.OPEN:
        return ob, []
    if at >= ob.opening.due_at:
        return expire(ob)
    reminded, outcomes = _remind_if_due(ob, at)
    return (
        replace(
            reminded,
            state=State.SUSPENDED,
            suspended_at=at,
            transitions=(*reminded.transitions, (State.SUSPENDED.value, at)),
        ),
        outcomes,
    )


def resume(ob: Obligation, at: datetime) -> tuple[Obligation, list[Outcome]]:
    """The ruling gave the item back to the debtor at ``at``: the clock runs again.

    The deadline (and a reminder not yet sent) move later by exactly how long the clock was
    stopped, so the debtor keeps the time it had left when it disputed."""
    if ob.state is not State.SUSPENDED or ob.suspended_at is None:
        return ob, []
    paused = max(at - ob.suspended_at, timedelta(0))  # a ruling dated before the dispute
    o = ob.opening
    remind_at = o.remind_at
    if remind_at is not None and ob.reminded_at is None:
        remind_at = remind_at + paused
    opening = replace(o, due_at=o.due_at + paused, remind_at=remind_at)
    return (
        replace(
            ob,
            opening=opening,
            state=State.OPEN,
            suspended_at=None,
            transitions=(*ob.transitions, (State.OPEN.value, at)),
        ),
        [],
    )


def urge(ob: Obligation, event_id: str, at: datetime) -> Obligation:
    """Record an urging (督办) on ``ob``, once per urging event, whatever its state."""
    if any(e == event_id for e, _ in ob.urgings):
        return ob
    return replace(ob, urgings=(*ob.urgings, (event_id, at)))


def handover_opening(
    before: Obligation,
    *,
    request_event_id: str,
    request_event_type: str,
    receiver: str,
    at: datetime,
    due_at: datetime,
    remind_at: datetime | None,
    provisional: bool,
) -> Opening:
    """The receiver's own obligation when ``before``'s item is handed over to it at ``at``:
    same flow, creditor and expiry action, counted from the handover (``due_at`` and
    ``remind_at`` computed by the caller under the policy), with the first debtor's deadline
    recorded beside it. The receiver answers it by claiming the handover event."""
    o = before.opening
    return replace(
        o,
        request_event_id=request_event_id,
        request_event_type=request_event_type,
        debtor=receiver,
        opened_at=at,
        due_at=due_at,
        remind_at=remind_at,
        provisional=provisional,
        anchor_at=at,
        original_due_at=o.original_due_at or o.due_at,
        handed_over_from=o.debtor,
    )


def _close(ob: Obligation, state: State, at: datetime) -> Obligation:
    return replace(ob, state=state, closed_at=at, transitions=(*ob.transitions, (state.value, at)))
