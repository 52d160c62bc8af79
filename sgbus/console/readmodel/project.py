"""What one audit record adds to the console's tables. Pure: no database, no broker.

* **Items** — one per party the router delivered an event to, unless the event is a notice
  (a claim, a watchdog outcome, a rejection): those are answers or history, not work.
* **Answers** — the first claim, reply, result or assignment a party gave to an item, keyed by
  the item's event id, so an answer seen before its item still counts when the item arrives.
  The watchdog's auto-claims and deemed consents are answers made on the debtor's behalf.
  An officer's transfer (转办) or dispute (争议) of an item, and the oversight office's ruling
  on the dispute, are answers of their own kinds on the item as the party received it; the
  ruling also answers the dispute in the office's pool. Urgings (督办) are history only: the
  ledger counts them on the urged obligation.
* **History** — every event of the case, with a summary free of personal data (全程留痕).

Items keep the id of the obligation the same record opened for their party (the claim flow
first), so the pages read the watchdog's deadline for it instead of computing their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sgbus.bus.claims import owes_claim
from sgbus.bus.events import (
    AutoClaim,
    CaseAssignment,
    Claim,
    ContactPerson,
    DeemedConsent,
    DisputeRuling,
    Event,
    ItemTransfer,
    Licensee,
    ResponsibilityDispute,
    Urging,
    event_type_of,
)
from sgbus.bus.obligations.fields import REPLY_TO_FIELDS, answered_request_id
from sgbus.bus.obligations.ingest import AuditRecord
from sgbus.bus.obligations.model import Opening
from sgbus.console.labels import event_label, flow_label

#: Event types that are never items of work: answers, outcomes and notices about other events.
NOTICES = frozenset(
    {
        "Claim",
        "AutoClaim",
        "CaseAssignment",
        "DeemedConsent",
        "ObligationReminder",
        "ObligationBreach",
        "Escalation",
        "RejectionNotice",
        "DeadLetter",
        "Urging",
    }
)
#: Flows whose obligation is the item's claim, preferred as the item's deadline.
CLAIM_FLOWS = ("claim", "supervision-claim", "verification-claim")

CLAIM, REPLY, ASSIGN = "claim", "reply", "assign"
TRANSFER, DISPUTE, RULING = "transfer", "dispute", "ruling"


@dataclass(frozen=True)
class Projection:
    """The rows one audit record adds (each table's writer ignores rows already present)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, Any] | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    """One per party the record was delivered to (notices too), without their position."""


def project(
    record: AuditRecord,
    openings: Sequence[Opening],
    received_at: datetime,
    raw_value: bytes | None = None,
) -> Projection:
    """The items, answers and history row of ``record``; ``openings`` are the obligations the
    policy opened for it (:class:`~sgbus.bus.obligations.ingest.Ingestor`), ``raw_value`` the
    record's bytes (kept for a pooled result, which an assignment must carry)."""
    event = record.event
    etype = event_type_of(event)
    raw = raw_value if record.unassigned else None
    items = [] if etype in NOTICES else _items(record, etype, openings, received_at, raw)
    answer = _answer(event, etype)
    answers = [answer] if answer else _action_answers(event)
    history = _history(record, etype)
    return Projection(items, answers, history, _deliveries(record, etype))


def _deliveries(record: AuditRecord, etype: str) -> list[dict[str, Any]]:
    env = record.event.envelope
    payload = record.event.model_dump_json()
    return [
        {
            "party": party,
            "event_id": str(env.event_id),
            "event_type": etype,
            "case_key": env.case_key,
            "payload": payload,
        }
        for party in dict.fromkeys(record.delivered_to)
    ]


def _items(
    record: AuditRecord,
    etype: str,
    openings: Sequence[Opening],
    received_at: datetime,
    raw: bytes | None,
) -> list[dict[str, Any]]:
    env = record.event.envelope
    parties = record.delivered_to or tuple(env.recipients or ())
    keys = key_columns(record.event)
    payload = record.event.model_dump_json()
    rows = []
    for party in dict.fromkeys(parties):
        rows.append(
            {
                "event_id": str(env.event_id),
                "party": party,
                "event_type": etype,
                "case_key": env.case_key,
                "sender": env.sender,
                "region": env.region,
                "occurred_at": env.occurred_at,
                "received_at": record.appended_at or received_at,
                **keys,
                "claimable": _claimable(record, etype, party),
                "pooled": record.unassigned,
                "obligation_id": _obligation_of(openings, party),
                "payload": payload,
                "raw_value": raw,
            }
        )
    return rows


def _claimable(record: AuditRecord, etype: str, party: str) -> bool:
    """Whether ``party`` claims this item (a pooled result is nobody's until assigned)."""
    return not record.unassigned and owes_claim(record.event, party)


def _obligation_of(openings: Sequence[Opening], party: str) -> str | None:
    mine = [o for o in openings if o.debtor == party]
    mine.sort(key=lambda o: (o.flow not in CLAIM_FLOWS, o.due_at))
    return mine[0].id if mine else None


def key_columns(event: Event) -> dict[str, Any]:
    """The filterable columns of an item: matter, licensee, document number, decision date."""
    matter = getattr(event, "matter", None)
    who = getattr(event, "licensee", None) or getattr(event, "subject", None)
    licensee = who if isinstance(who, Licensee) else None
    number = getattr(event, "document_number", None) or getattr(event, "decision_number", None)
    decided = getattr(event, "decision_date", None)
    return {
        "matter_code": getattr(matter, "code", None),
        "matter_name": getattr(matter, "name", None),
        "licensee_name": licensee.name if licensee else None,
        "credit_code": licensee.uscc if licensee else None,
        "document_number": number if isinstance(number, str) else None,
        "decision_date": decided if isinstance(decided, date) else None,
    }


def _answer(event: Event, etype: str) -> dict[str, Any] | None:
    env = event.envelope
    row = {"answer_event_id": str(env.event_id), "answer_type": etype, "mode": None}
    at: datetime = env.occurred_at
    target: object
    if isinstance(event, Claim):
        target, party, kind = event.claimed_event_id, event.claimed_by, CLAIM
        row["mode"] = event.mode.value
        at = event.claimed_at
    elif isinstance(event, AutoClaim):
        target, party, kind = event.obligation.trigger_event_id, event.claimed_on_behalf_of, CLAIM
        row["mode"] = "AUTOMATIC"
        at = event.claimed_at
    elif isinstance(event, DeemedConsent):
        target, party, kind = event.letter_event_id, event.obligation.debtor, REPLY
        row["mode"] = "DEEMED"
        at = event.deemed_at
    elif isinstance(event, CaseAssignment):
        target, party, kind = event.assigned_event_id, env.sender, ASSIGN
        row["officer"] = event.assigned_by[:100]
    else:
        request = answered_request_id(event, etype) if etype in REPLY_TO_FIELDS else None
        if request is None:
            return None
        target, party, kind = request, env.sender, REPLY
    row.setdefault("officer", _officer(event))
    return {
        **row,
        "answered_event_id": str(target),
        "party": party,
        "kind": kind,
        "answered_at": at,
    }


def _action_answers(event: Event) -> list[dict[str, Any]]:
    """The answers an officer's action gives: a transfer or a dispute of the item the sender
    received; a ruling, on the disputed item and on the dispute in the office's pool."""
    env = event.envelope
    officer = _officer(event)

    def row(target: object, party: str, kind: str, at: datetime, who: str | None) -> dict[str, Any]:
        return {
            "answer_event_id": str(env.event_id),
            "answer_type": event_type_of(event),
            "mode": None,
            "officer": who,
            "answered_event_id": str(target),
            "party": party,
            "kind": kind,
            "answered_at": at,
        }

    if isinstance(event, ItemTransfer):
        return [row(event.item_event_id, env.sender, TRANSFER, event.transferred_at, officer)]
    if isinstance(event, ResponsibilityDispute):
        return [row(event.item_event_id, env.sender, DISPUTE, event.disputed_at, officer)]
    if isinstance(event, DisputeRuling):
        by = event.decided_by[:100]
        return [
            row(event.item_event_id, event.disputed_by, RULING, event.decided_at, by),
            row(event.dispute_event_id, env.sender, REPLY, event.decided_at, by),
        ]
    return []


def _officer(event: Event) -> str | None:
    person = getattr(event, "officer", None)
    return person.name[:100] if isinstance(person, ContactPerson) else None


def _history(record: AuditRecord, etype: str) -> dict[str, Any]:
    env = record.event.envelope
    return {
        "event_id": str(env.event_id),
        "case_key": env.case_key,
        "event_type": etype,
        "sender": env.sender,
        "delivered_to": json.dumps(list(record.delivered_to)),
        "occurred_at": env.occurred_at,
        "summary": summary(record.event, etype),
    }


def summary(event: Event, etype: str) -> str:
    """One line on what happened, naming parties and officers but no licensee data."""
    label = event_label(etype)
    officer = _officer(event)
    if isinstance(event, Claim):
        return f"{label}({event.mode.value})" + (f",经办人 {officer}" if officer else "")
    if isinstance(event, AutoClaim | DeemedConsent):
        return f"{label}:{event.obligation.debtor} 未在期限内办理({event.obligation.rule or ''})"
    if isinstance(event, CaseAssignment):
        return f"{label}:指派给 {'、'.join(event.assigned_to)}({event.assigned_by[:100]})"
    action = _action_summary(event, label, officer)
    if action is not None:
        return action
    obligation = getattr(event, "obligation", None)
    if obligation is not None:
        return f"{label}:{obligation.debtor} · {flow_label(obligation.flow)}"
    return label + (f",经办人 {officer}" if officer else "")


def _action_summary(event: Event, label: str, officer: str | None) -> str | None:
    """The line of an officer's action: to whom the item went, never the reason (free text)."""
    by = f",经办人 {officer}" if officer else ""
    if isinstance(event, ItemTransfer):
        return f"{label}:转给 {event.transferred_to}{by}"
    if isinstance(event, ResponsibilityDispute):
        return f"{label}:提请中心裁定{by}"
    if isinstance(event, DisputeRuling):
        if event.assigned_to == event.disputed_by:
            return f"{label}:退回 {event.disputed_by} 办理({event.decided_by[:100]})"
        return f"{label}:改由 {event.assigned_to} 办理({event.decided_by[:100]})"
    if isinstance(event, Urging):
        return f"{label}:督办 {event.urged_party}"
    return None
