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
from datetime import datetime

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
