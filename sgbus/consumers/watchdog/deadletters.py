"""Audit records the watchdog cannot read, set aside on the dead-letter topic with a reason.

Only a *permanent* failure lands here: bytes that are not an event, or a schema id the
registry answered it does not know. A registry that cannot be asked is transient and retried
(:class:`~sgbus.bus.serde.RegistryUnavailable` never reaches this module). The dead letter
goes out through the watchdog's outbox, written in the transaction that stores the offsets
past the record, so the record is either set aside and passed, or neither. Its event id is
derived from where the record was read: a batch applied again writes the same row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sgbus.bus import headers as h
from sgbus.bus.deadletter_payload import DROP, PayloadPolicy, mark_headers
from sgbus.bus.deadletters import decode_failure_reason
from sgbus.bus.events import DeadLetter, DeadLetterReason, new_envelope
from sgbus.bus.parties import DEAD_LETTER_TOPIC, WATCHDOG_PARTY
from sgbus.bus.serde import EncodeError, Serde
from sgbus.bus.store.outbox import OutgoingMessage
from sgbus.consumers.watchdog.audit import RawRecord
from sgbus.runtime.faults import TransientError

if TYPE_CHECKING:
    from sgbus.consumers.watchdog.interpret import Interpreted

_NS = uuid.uuid5(uuid.NAMESPACE_URL, "sgbus/watchdog/dead-letter")

#: ``UNKNOWN_SCHEMA`` or ``UNDECODABLE`` for a record that does not decode: the router's rule.
reason_of = decode_failure_reason


def dead_letter_id(raw: RawRecord) -> str:
    """The dead letter's event id: the same for the same record, however often derived."""
    return str(uuid.uuid5(_NS, f"{raw.topic}|{raw.partition}|{raw.offset}"))


def dead_letter_message(
    serde: Serde,
    raw: RawRecord,
    reason: DeadLetterReason,
    detail: str,
    payload: PayloadPolicy = DROP,
) -> OutgoingMessage:
    """The outbox row that sets ``raw`` aside; ``detail`` must be data-free (the serde's
    reasons are). The payload is kept as ``payload`` says (encrypted, or not at all); the
    record's headers are not kept."""
    event_id = dead_letter_id(raw)
    key = raw.key or b""
    value, found = payload.seal(raw.value)
    dead = DeadLetter(
        envelope=new_envelope(
            DeadLetter,
            sender=WATCHDOG_PARTY,
            region="000000",
            case_key=key.decode("utf-8", "replace") or "unknown",
            event_id=uuid.UUID(event_id),
        ),
        reason_code=reason,
        reason=detail[:500],
        original_topic=raw.topic,
        original_partition=raw.partition,
        original_offset=raw.offset,
        original_key=raw.key,
        original_value=value,
        original_headers=mark_headers(found),
        failed_at=datetime.now(UTC),
        service=WATCHDOG_PARTY,
    )
    return OutgoingMessage(
        event_id=event_id,
        topic=DEAD_LETTER_TOPIC,
        key=raw.key,
        value=_encode(serde, dead),
        headers={
            h.EVENT_ID: event_id,
            h.EVENT_TYPE: "DeadLetter",
            h.DLQ_REASON: reason.value,
            h.DLQ_DETAIL: detail[:500],
            h.SOURCE_TOPIC: raw.topic,
            h.SOURCE_PARTITION: str(raw.partition),
            h.SOURCE_OFFSET: str(raw.offset),
            **found,
        },
    )


def _encode(serde: Serde, dead: DeadLetter) -> bytes:
    """The dead letter's bytes. A registry that refuses the DeadLetter schema (not
    registered, registration refused) is waited out like an unreachable one: the record can
    be neither set aside nor passed until it answers."""
    try:
        return serde.encode(dead, DEAD_LETTER_TOPIC)
    except EncodeError as exc:
        if not _from_registry(exc):
            raise
        raise TransientError("registry", "the DeadLetter schema is not available") from exc


def _from_registry(exc: BaseException) -> bool:
    cur: BaseException | None = exc
    while cur is not None:
        if getattr(cur, "http_status_code", None) is not None:
            return True
        cur = cur.__cause__
    return False


def dead_letters_for(
    serde: Serde, records: Sequence[RawRecord], payload: PayloadPolicy = DROP
) -> Callable[[Sequence[Interpreted]], list[OutgoingMessage]]:
    """The outbox rows for those interpreted ``records`` that could not be read; their
    payloads kept as ``payload`` says."""
    by_offset = {(r.partition, r.offset): r for r in records}

    def messages(unread: Sequence[Interpreted]) -> list[OutgoingMessage]:
        out = []
        for item in unread:
            assert item.dead_letter is not None, "only unreadable records are dead-lettered"
            raw = by_offset[(item.partition, item.offset)]
            detail = item.decode_error or ""
            out.append(dead_letter_message(serde, raw, item.dead_letter, detail, payload))
        return out

    return messages
