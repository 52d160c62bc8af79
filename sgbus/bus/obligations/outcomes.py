"""Outcomes of the obligation machine as bus events. Pure.

Each event is a function of the outcome alone: its id is the outcome id and its time the
outcome's scheduled time, so every watchdog instance, and every replay after a crash, builds
the same event, byte for byte.

Recipients: the debtor and the creditor; a breach or an escalation also goes to the rule's
``escalate_to`` party (e.g. the oversight office, 营口 第二十一条).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sgbus.bus.calendar import CHINA_TZ, WorkingCalendar
from sgbus.bus.events import (
    AutoClaim,
    DeemedConsent,
    Envelope,
    Escalation,
    Event,
    ObligationBreach,
    ObligationRef,
    ObligationReminder,
    new_envelope,
)
from sgbus.bus.obligations.model import Obligation, Outcome, OutcomeKind
from sgbus.bus.parties import WATCHDOG_PARTY

_TICK = timedelta(microseconds=1)


def obligation_ref(ob: Obligation) -> ObligationRef:
    """The ``ObligationRef`` record of ``ob``."""
    o = ob.opening
    return ObligationRef(
        obligation_id=ob.id,
        flow=o.flow,
        debtor=o.debtor,
        creditor=o.creditor,
        opened_at=o.opened_at,
        due_at=o.due_at,
        due_provisional=o.provisional,
        trigger_event_id=uuid.UUID(o.request_event_id),
        trigger_event_type=o.request_event_type,
        rule=o.source,
    )


def recipients(outcome: Outcome) -> list[str]:
    """Who receives the outcome event."""
    o = outcome.obligation.opening
    parties = [o.debtor, o.creditor]
    if o.escalate_to and outcome.kind in (OutcomeKind.BREACH, OutcomeKind.ESCALATION):
        parties.append(o.escalate_to)
    return list(dict.fromkeys(parties))


def working_days_left(outcome: Outcome, calendar: WorkingCalendar) -> int:
    """Working days from the reminder to the deadline (:func:`working_days_until`)."""
    return working_days_until(outcome.at, outcome.obligation.opening.due_at, calendar)


def working_days_until(at: datetime, due: datetime, calendar: WorkingCalendar) -> int:
    """Working days from ``at`` to the (exclusive) deadline ``due``: ``at``'s own day
    excluded, the deadline's last day included; 0 once it has passed."""
    if at >= due:
        return 0
    return calendar.working_days_used(at - _TICK, due - _TICK)


def outcome_event(outcome: Outcome, calendar: WorkingCalendar) -> Event:
    """The event announcing ``outcome``."""
    ob = outcome.obligation
    o = ob.opening
    ref = obligation_ref(ob)
    request_id = uuid.UUID(o.request_event_id)

    def envelope(cls: type[Event]) -> Envelope:
        return new_envelope(
            cls,
            sender=WATCHDOG_PARTY,
            region=o.region,
            case_key=o.case_key,
            recipients=recipients(outcome),
            correlation_id=request_id,
            causation_id=request_id,
            event_id=uuid.UUID(outcome.event_id),
            occurred_at=outcome.at,
        )

    if outcome.kind is OutcomeKind.REMINDER:
        left = working_days_left(outcome, calendar)
        due_local = o.due_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        return ObligationReminder(
            envelope=envelope(ObligationReminder),
            obligation=ref,
            working_days_left=left,
            message=f"{o.flow}: 请于{due_local}前办理 (剩余{left}个工作日; {o.source})",
        )
    if outcome.kind is OutcomeKind.AUTO_CLAIM:
        return AutoClaim(
            envelope=envelope(AutoClaim),
            obligation=ref,
            claimed_on_behalf_of=o.debtor,
            claimed_at=outcome.at,
        )
    if outcome.kind is OutcomeKind.DEEMED_CONSENT:
        return DeemedConsent(
            envelope=envelope(DeemedConsent),
            obligation=ref,
            letter_event_id=request_id,
            deemed_at=outcome.at,
        )
    if outcome.kind is OutcomeKind.ESCALATION:
        return Escalation(
            envelope=envelope(Escalation),
            obligation=ref,
            escalated_to=o.escalate_to or o.creditor,
            level=1,
            reason=f"{o.flow}: no answer by the deadline ({o.source})",
        )
    return ObligationBreach(
        envelope=envelope(ObligationBreach),
        obligation=ref,
        breached_at=outcome.at,
        reported_to=[o.escalate_to] if o.escalate_to else [],
    )
