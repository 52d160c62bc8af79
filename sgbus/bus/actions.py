"""Building the officers' actions on an item: pure functions, no database and no broker.

转办 (transfer), 争议 (dispute), the oversight office's ruling, 督办 (urging) and the fixed set
of 函询 answers. The CLI, the publisher SDK and the console build their events here, so the
same action is the same event whichever front end made it. Each event id is derived from the
item, the acting party and what it did, so a repeated command is recognisably the same event.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sgbus.bus.events import (
    ConsultationLetter,
    ConsultationPosition,
    ConsultationReply,
    ContactPerson,
    DisputeRuling,
    Event,
    ItemTransfer,
    ResponsibilityDispute,
    Urging,
    event_type_of,
    new_envelope,
    reply_envelope,
)

# Fixed namespace of action ids; changing it would give repeated actions new ids.
_NS = uuid.UUID("3f0c9a57-1b2e-4d6a-9e8f-6a7b5c4d3e21")

#: The fixed set of 函询 answers, by the words officers use.
POSITIONS: dict[str, ConsultationPosition] = {
    "同意": ConsultationPosition.AGREE,
    "有条件同意": ConsultationPosition.AGREE_WITH_COMMENTS,
    "不同意": ConsultationPosition.DISAGREE,
}


class ActionError(ValueError):
    """The action cannot be built as asked; the message says why (no personal data)."""


def action_id(item_event_id: uuid.UUID | str, party: str, what: str) -> uuid.UUID:
    """The one event id ``party``'s action ``what`` on ``item_event_id`` can have."""
    return uuid.uuid5(_NS, f"{uuid.UUID(str(item_event_id))}|{party}|{what}")


def _person(officer: str | None) -> ContactPerson | None:
    return ContactPerson(name=officer) if officer else None


def _reason(reason: str, what: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise ActionError(f"a {what} needs a reason")
    return text


def build_transfer(
    item: Event, party: str, to: str, reason: str, at: datetime, *, officer: str | None = None
) -> ItemTransfer:
    """``party`` passes ``item`` (as it received it) on to department ``to`` (转办)."""
    if to == party:
        raise ActionError("an item cannot be transferred to its own holder")
    env = item.envelope
    return ItemTransfer(
        envelope=reply_envelope(
            item,
            ItemTransfer,
            sender=party,
            recipients=[to],
            event_id=action_id(env.event_id, party, f"transfer|{to}"),
            occurred_at=at,
        ),
        item_event_id=env.event_id,
        item_event_type=event_type_of(item),
        transferred_to=to,
        reason=_reason(reason, "transfer"),
        officer=_person(officer),
        transferred_at=at,
    )


def build_dispute(
    item: Event,
    party: str,
    reason: str,
    at: datetime,
    *,
    proposed_party: str | None = None,
    officer: str | None = None,
) -> ResponsibilityDispute:
    """``party`` disputes that ``item`` is its responsibility (争议); the router sends it to
    the oversight office's pool."""
    env = item.envelope
    return ResponsibilityDispute(
        envelope=new_envelope(
            ResponsibilityDispute,
            sender=party,
            region=env.region,
            case_key=env.case_key,
            correlation_id=env.correlation_id,
            causation_id=env.event_id,
            event_id=action_id(env.event_id, party, "dispute"),
            occurred_at=at,
        ),
        item_event_id=env.event_id,
        item_event_type=event_type_of(item),
        reason=_reason(reason, "dispute"),
        proposed_party=proposed_party,
        officer=_person(officer),
        disputed_at=at,
    )


def build_ruling(
    dispute: ResponsibilityDispute,
    oversight: str,
    assigned_to: str,
    reason: str,
    decided_by: str,
    at: datetime,
) -> DisputeRuling:
    """The oversight office's ruling on ``dispute``: the item goes to ``assigned_to``."""
    disputer = dispute.envelope.sender
    return DisputeRuling(
        envelope=reply_envelope(
            dispute,
            DisputeRuling,
            sender=oversight,
            recipients=list(dict.fromkeys((disputer, assigned_to))),
            event_id=action_id(dispute.envelope.event_id, oversight, "ruling"),
            occurred_at=at,
        ),
        dispute_event_id=dispute.envelope.event_id,
        item_event_id=dispute.item_event_id,
        item_event_type=dispute.item_event_type,
        disputed_by=disputer,
        assigned_to=assigned_to,
        reason=_reason(reason, "ruling"),
        decided_by=decided_by,
        decided_at=at,
    )


def build_urging(
    *,
    oversight: str,
    urged_party: str,
    item_event_id: str,
    item_event_type: str,
    region: str,
    case_key: str,
    message: str,
    at: datetime,
    obligation_id: str | None = None,
) -> Urging:
    """The oversight office urges ``urged_party`` on an item (督办), e.g. from an overdue
    obligation of ``sgbus obligations``. Each urging is its own event (several may be sent)."""
    return Urging(
        envelope=new_envelope(
            Urging,
            sender=oversight,
            region=region,
            case_key=case_key,
            recipients=[urged_party],
            causation_id=uuid.UUID(item_event_id),
            occurred_at=at,
        ),
        item_event_id=uuid.UUID(item_event_id),
        item_event_type=item_event_type,
        urged_party=urged_party,
        obligation_id=obligation_id,
        message=_reason(message, "urging"),
        urged_at=at,
    )


def build_consultation_reply(
    letter: Event,
    party: str,
    position: ConsultationPosition | str,
    text: str | None,
    at: datetime,
    *,
    officer: str | None = None,
) -> ConsultationReply:
    """``party``'s answer to a 函询: 同意, 有条件同意 (the conditions in ``text``) or 不同意
    (the reason in ``text``, required). Other answers are not built here."""
    if not isinstance(letter, ConsultationLetter):
        raise ActionError("only a consultation letter is answered")
    chosen = POSITIONS.get(position) if isinstance(position, str) else position
    if chosen is None and isinstance(position, str):
        chosen = ConsultationPosition.__members__.get(position.upper())
    if chosen is None or chosen is ConsultationPosition.UNKNOWN:
        raise ActionError("answer 同意, 有条件同意 or 不同意")
    body = " ".join((text or "").split()) or None
    if chosen is not ConsultationPosition.AGREE and body is None:
        raise ActionError("有条件同意 needs its conditions, 不同意 its reason")
    return ConsultationReply(
        envelope=reply_envelope(
            letter,
            ConsultationReply,
            sender=party,
            event_id=action_id(letter.envelope.event_id, party, "reply"),
            occurred_at=at,
        ),
        letter_event_id=letter.envelope.event_id,
        position=chosen,
        reply=body,
        officer=_person(officer),
    )
