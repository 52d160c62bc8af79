"""Typed event models, generated from ``schemas/avro`` and kept in lock-step with them.

Public helpers: :data:`EVENT_CLASSES` (event classes by record name), :func:`event_class`,
:func:`event_type_of`, :func:`approval_case_key`, :func:`new_envelope`, :func:`reply_envelope`.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from sgbus.bus.events import _models
from sgbus.bus.events._base import Record
from sgbus.bus.events._models import *  # noqa: F403  (the generated models are the public API)
from sgbus.bus.events._models import EVENT_CLASSES, Envelope, Event

CASE_KEY_SEPARATOR = ":"


def event_class(name: str) -> type[Event]:
    """The event class of a record name, short (``Claim``) or full (``sgbus.events.Claim``)."""
    short = name.rsplit(".", 1)[-1]
    try:
        return EVENT_CLASSES[short]
    except KeyError:
        raise KeyError(f"unknown event type {name!r}") from None


def event_type_of(event: Event | type[Event]) -> str:
    """The event type (Avro record name, unqualified) of an event or event class."""
    cls = event if isinstance(event, type) else type(event)
    return cls.AVRO_NAME.rsplit(".", 1)[-1]


def approval_case_key(region: str, document_number: str) -> str:
    """Case key of an approval result: ``<region>:<document number>``.

    Example: ``371000:威审批〔2026〕12号``.

    The document number is kept as issued (full-width brackets and all), with surrounding blanks
    removed and inner runs of blanks folded to one space, so that two systems typing the same number
    produce the same key. Every later event of the case carries this key and so lands in the same
    Kafka partition, in order.
    """
    number = " ".join(document_number.split())
    if not number:
        raise ValueError("document number is empty")
    return f"{region}{CASE_KEY_SEPARATOR}{number}"


def new_envelope(
    event_cls: type[Event],
    *,
    sender: str,
    region: str,
    case_key: str,
    recipients: Sequence[str] | None = None,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime.datetime | None = None,
) -> Envelope:
    """An envelope for a new ``event_cls`` event; a new conversation unless ``correlation_id``."""
    event_id = event_id or uuid.uuid4()
    return Envelope(
        event_id=event_id,
        event_type=event_type_of(event_cls),
        occurred_at=occurred_at or datetime.datetime.now(datetime.UTC),
        sender=sender,
        recipients=list(recipients) if recipients is not None else None,
        region=region,
        case_key=case_key,
        correlation_id=correlation_id or event_id,
        causation_id=causation_id,
        schema_version=event_cls.SCHEMA_VERSION,
    )


def reply_envelope(
    cause: Event,
    event_cls: type[Event],
    *,
    sender: str,
    recipients: Sequence[str] | None = None,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime.datetime | None = None,
) -> Envelope:
    """An envelope answering ``cause``: same region, case and conversation; to its sender."""
    return new_envelope(
        event_cls,
        sender=sender,
        region=cause.envelope.region,
        case_key=cause.envelope.case_key,
        recipients=recipients if recipients is not None else [cause.envelope.sender],
        correlation_id=cause.envelope.correlation_id,
        causation_id=cause.envelope.event_id,
        event_id=event_id,
        occurred_at=occurred_at,
    )


__all__ = [
    "CASE_KEY_SEPARATOR",
    "EVENT_CLASSES",
    "Envelope",
    "Event",
    "Record",
    "approval_case_key",
    "event_class",
    "event_type_of",
    "new_envelope",
    "reply_envelope",
]
__all__ += _models.__all__
