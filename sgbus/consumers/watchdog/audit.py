"""Audit-log records in, outbox messages out: the watchdog's two encodings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sgbus.bus import headers as h
from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.events import event_type_of
from sgbus.bus.obligations.ingest import AuditRecord
from sgbus.bus.obligations.model import Outcome
from sgbus.bus.obligations.outcomes import outcome_event
from sgbus.bus.reading import timestamp_ms
from sgbus.bus.serde import DecodeError, Serde
from sgbus.bus.store.outbox import OutgoingMessage
from sgbus.runtime.reader import Msg


@dataclass(frozen=True)
class RawRecord:
    """What the watchdog needs of a consumed Kafka record."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: h.HeaderList | Mapping[str, bytes | str | None] | None
    key: bytes | None = None
    timestamp_ms: int | None = None
    """The record's Kafka timestamp (when the router wrote it); None when the broker gave none."""

    @property
    def appended_at(self) -> datetime | None:
        """The Kafka timestamp as an instant."""
        if self.timestamp_ms is None or self.timestamp_ms <= 0:
            return None
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


def raw_record(m: Msg) -> RawRecord:
    """The parts of a consumed Kafka record the watchdog keeps."""
    return RawRecord(
        m.topic() or "",
        m.partition() or 0,
        m.offset() or 0,
        m.value(),
        m.headers(),
        m.key(),
        timestamp_ms(m),
    )


def decode_audit(serde: Serde, raw: RawRecord) -> AuditRecord:
    """The event of an audit record with the router's delivery headers.

    Raises :class:`DecodeError` (naming topic, partition and offset) for an unreadable value,
    :class:`~sgbus.bus.serde.RegistryUnavailable` when the registry could not be asked.
    """
    if raw.value is None:
        raise DecodeError(raw.topic, raw.partition, raw.offset, "record has no value")
    event = serde.decode(raw.value, raw.topic, raw.partition, raw.offset)
    hdrs = h.header_map(raw.headers)
    return AuditRecord(
        event=event,
        delivered_to=h.parse_parties(hdrs.get(h.DELIVERED_TO)),
        unassigned=h.is_unassigned(hdrs),
        appended_at=raw.appended_at,
    )


def outcome_messages(
    outcomes: Sequence[Outcome],
    serde: Serde,
    calendar: WorkingCalendar | Callable[[str], WorkingCalendar],
    topic: str,
) -> list[OutgoingMessage]:
    """The outbox messages announcing ``outcomes``, keyed by case so they stay in its order;
    ``calendar`` is one calendar, or gives each region's (working days left in reminders)."""
    messages = []
    for outcome in outcomes:
        region = outcome.obligation.opening.region
        cal = calendar if isinstance(calendar, WorkingCalendar) else calendar(region)
        event = outcome_event(outcome, cal)
        etype = event_type_of(event)
        messages.append(
            OutgoingMessage(
                event_id=outcome.event_id,
                topic=topic,
                key=event.envelope.case_key.encode("utf-8"),
                value=serde.encode(event, topic),
                headers={h.EVENT_ID: outcome.event_id, h.EVENT_TYPE: etype},
            )
        )
    return messages
