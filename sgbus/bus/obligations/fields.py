"""Where the facts a policy rule names live in the event payloads.

A rule says "2 working days from the decision date" or "answered by a Claim"; this module maps
those words to real fields: the anchor date of each event type, the field by which each reply
names the request it answers, and how ``match`` values compare with payload values.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from sgbus.bus.calendar.timeutil import china_midnight
from sgbus.bus.events import Event
from sgbus.bus.policy.model import Anchor

# Anchor → event type → payload field. A date field counts from 00:00 Asia/Shanghai of that day
# (its working day is what matters); a timestamp field from the instant itself.
ANCHOR_FIELDS: dict[Anchor, dict[str, str]] = {
    Anchor.DECISION_DATE: {
        "ApprovalResult": "decision_date",
        "SupervisionAction": "decision_date",
        "LicenceChangeDecision": "decision_date",
        "CaseTransferDecision": "decided_on",
    },
    # The notice carries no "received on" date; the day the document was issued is the earliest
    # the sender can have received it, so the check is never more lenient than the rule.
    Anchor.RECEIVED_DATE: {
        "PolicyChangeNotice": "issued_on",
        "PolicyChangeReceipt": "received_at",
    },
    # A request only knows the planned day of the step; the opinion knows when it ended.
    Anchor.STEP_END_DATE: {
        "SpecialReviewRequest": "scheduled_on",
        "SpecialReviewOpinion": "step_completed_on",
    },
    Anchor.VERIFICATION_DATE: {"VerificationResult": "verified_on"},
    Anchor.MEETING_DATE: {"MeetingAgenda": "starts_at", "MeetingMinutes": "held_at"},
}

# Reply type → payload field naming the request it answers. Preferred to the envelope's
# causation id, which may point at an intermediate event (a reply sent in answer to one's own
# claim of the letter still names the letter here).
REPLY_TO_FIELDS: dict[str, str] = {
    "Claim": "claimed_event_id",
    "ConsultationReply": "letter_event_id",
    "SpecialReviewOpinion": "request_event_id",
    "CaseTransferDecision": "transfer_event_id",
    "LicenceChangeDecision": "request_event_id",
    "MeetingMinutes": "agenda_event_id",
    "PolicyChangeReceipt": "notice_event_id",
    "VerificationResult": "task_event_id",
}


def anchor_field(event_type: str, anchor: Anchor) -> str | None:
    """The payload field holding ``anchor`` for ``event_type``; None for the request's own time
    or when the type has no such field."""
    if anchor is Anchor.REQUEST_TIME:
        return None
    return ANCHOR_FIELDS[anchor].get(event_type)


def anchor_instant(event: Event, event_type: str, anchor: Anchor) -> datetime | None:
    """The instant the period of ``anchor`` counts from, or None when the payload lacks it."""
    name = anchor_field(event_type, anchor)
    if name is None:
        return None
    value = getattr(event, name, None)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return china_midnight(value)
    return None


def answered_request_id(event: Event, event_type: str) -> str | None:
    """The event id of the request ``event`` answers: the reply field, else the causation id."""
    name = REPLY_TO_FIELDS.get(event_type)
    value = getattr(event, name, None) if name else None
    if value is None:
        value = event.envelope.causation_id
    return str(value) if isinstance(value, uuid.UUID) else None


def normalise_symbol(value: Any) -> str:
    """A payload value as policy files write it: ``JOINT`` and ``Joint_Step`` read ``joint``,
    ``joint-step``."""
    text = value.value if isinstance(value, Enum) else str(value)
    return text.strip().lower().replace("_", "-")


def matches(event: Event, match: dict[str, str], *, missing_ok: bool = False) -> bool:
    """Whether every ``match`` field of ``event`` has the wanted value.

    ``missing_ok`` lets a field the event does not have pass (replies carry only some of their
    request's fields, e.g. an opinion repeats the request's ``mode``).
    """
    for name, wanted in match.items():
        if name not in type(event).model_fields:
            if missing_ok:
                continue
            return False
        if normalise_symbol(getattr(event, name)) != normalise_symbol(wanted):
            return False
    return True
