"""Rejection notices: the sender learns which of its records the router refused, and why.

Pure: built from the dead letter the router writes anyway, so the notice and the dead letter
always agree. A notice names the refused event, the reason and the failing field paths; it
carries neither the payload nor anything else the sender wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sgbus.bus import headers as h
from sgbus.bus.events import DeadLetter, Event, RejectionNotice, event_type_of, new_envelope
from sgbus.bus.parties import inbox_topic
from sgbus.bus.serde import Serde
from sgbus.bus.validation import Issue
from sgbus.consumers.router.records import OutRecord

#: Namespace of notice ids: one notice per dead letter, the same when a batch is routed again.
_NOTICE_NS = uuid.UUID("6c1f4e2a-9b7d-4c3e-8f10-2a5d7e9b4c61")


def field_paths(issues: Iterable[Issue]) -> tuple[str, ...]:
    """The field paths of validation issues, each once, in the order found."""
    return tuple(dict.fromkeys(i.path for i in issues if i.path))


def rejection_notice(
    dead: DeadLetter, sender: str, refused: Event | None, paths: Sequence[str] = ()
) -> RejectionNotice:
    """The notice to ``sender`` for ``dead``; ``refused`` is the event when it could be decoded.

    The notice answers the refused event (same case, same conversation); an undecodable record
    has no event, so it answers the dead letter instead.
    """
    env = refused.envelope if refused is not None else None
    dead_id = dead.envelope.event_id
    return RejectionNotice(
        envelope=new_envelope(
            RejectionNotice,
            sender=dead.envelope.sender,
            recipients=[sender],
            region=dead.envelope.region,
            case_key=dead.envelope.case_key,
            correlation_id=env.correlation_id if env else dead_id,
            causation_id=env.event_id if env else dead_id,
            event_id=uuid.uuid5(_NOTICE_NS, str(dead_id)),
            occurred_at=dead.failed_at,
        ),
        refused_event_id=env.event_id if env else None,
        refused_event_type=event_type_of(refused) if refused is not None else None,
        dead_letter_id=dead_id,
        reason_code=dead.reason_code,
        reason=dead.reason,
        field_paths=list(paths),
        original_topic=dead.original_topic,
        original_partition=dead.original_partition,
        original_offset=dead.original_offset,
    )


def notice_record(
    notice: RejectionNotice, party: str, serde: Serde, key: bytes | None
) -> OutRecord:
    """The record of ``notice`` in ``party``'s inbox."""
    topic = inbox_topic(party)
    return OutRecord(
        topic,
        key,
        serde.encode(notice, topic),
        {
            h.EVENT_ID: str(notice.envelope.event_id),
            h.EVENT_TYPE: event_type_of(notice),
            h.SOURCE_TOPIC: notice.original_topic,
        },
    )
