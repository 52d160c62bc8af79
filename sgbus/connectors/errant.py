"""The errant-record reporter: a record the target or the bus refuses for good becomes a
dead letter on the party's own ``sg.<party>.deadletter``, acknowledged by the broker before
the connector's offsets or positions move past it.

The dead letter keeps where the record was (topic, partition, offset or the source's own
reference), its event id and a data-free reason — never the payload: an inbox record stays in
the party's inbox topic (``sgbus connector replay`` reads it again from there), a source record
stays in the source system, marked refused. The dead letter's id is derived from the connector
and the position, so a batch retried after a fault reports the same dead letter again, not a
second one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from confluent_kafka import KafkaError, Message, Producer

from sgbus.bus import headers as h
from sgbus.bus.deadletters import CONNECTOR_SERVICE_PREFIX
from sgbus.bus.events import DeadLetter, DeadLetterReason, Event, new_envelope
from sgbus.bus.parties import connector_dead_letter_topic, outbox_topic
from sgbus.bus.serde import Serde
from sgbus.connectors.api import InboxRecord, SourceRecord
from sgbus.connectors.state import ConnectorState, Errant
from sgbus.monitoring import metrics
from sgbus.runtime.faults import TransientError

log = structlog.get_logger("sgbus.connectors.errant")
_NS = uuid.UUID("0b6f7a52-5c8e-4d0f-9a55-3f7c2f1f6c11")
_REASON_MAX = 500


class ErrantRecordError(Exception):
    """A record was refused while ``errors_tolerance`` is ``none``: the connector stops."""


@dataclass(frozen=True)
class _Where:
    topic: str
    partition: int
    offset: int
    key: bytes | None


class ErrantReporter:
    """Dead-letters refused records of connector ``name`` acting for ``party``."""

    def __init__(
        self,
        name: str,
        party: str,
        producer: Producer,
        serde: Serde,
        state: ConnectorState,
        tolerance: Literal["all", "none"] = "all",
        *,
        timeout_s: float = 30.0,
    ) -> None:
        self.name = name
        self.party = party
        self._producer = producer
        self._serde = serde
        self._state = state
        self._tolerance = tolerance
        self._timeout_s = timeout_s
        self._pending: list[Errant] = []
        self._failures: list[str] = []

    def report_inbox(
        self, record: InboxRecord, reason: str, code: DeadLetterReason = DeadLetterReason.OTHER
    ) -> None:
        """The target refused ``record`` for good (``reason`` must hold no personal data)."""
        where = _Where(record.topic, record.partition, record.offset, None)
        self._report(where, code, reason, record.event)

    def report_undecodable(
        self, topic: str, partition: int, offset: int, key: bytes | None, reason: str, code: str
    ) -> None:
        """An inbox record that could not be decoded."""
        self._report(_Where(topic, partition, offset, key), DeadLetterReason(code), reason, None)

    def report_source(
        self,
        record: SourceRecord,
        reason: str,
        code: DeadLetterReason = DeadLetterReason.VALIDATION_FAILED,
    ) -> None:
        """A source record the bus refuses (invalid, not the party's own)."""
        where = _Where(outbox_topic(self.party), -1, -1, None)
        self._report(where, code, f"{record.ref}: {reason}", record.event, stream=record.ref)

    def report_unreadable(
        self,
        ref: str,
        reason: str,
        code: DeadLetterReason = DeadLetterReason.VALIDATION_FAILED,
    ) -> None:
        """A source record that is not even an event (bad JSON, an unknown type); ``ref`` is
        its data-free name in the source (``sgbus_outbox row 17``)."""
        where = _Where(outbox_topic(self.party), -1, -1, None)
        self._report(where, code, f"{ref}: {reason}", None, stream=ref)

    @property
    def pending(self) -> int:
        """Dead letters produced and not yet acknowledged by :meth:`flush`."""
        return len(self._pending)

    def pending_positions(self) -> list[tuple[str, int, int]]:
        """Where the records reported since the last flush were read."""
        return [(e.topic, e.partition, e.offset) for e in self._pending]

    def flush(self) -> None:
        """Wait until the broker has every dead letter reported, then remember them in the
        connector's state. Raises :class:`TransientError` (the batch is retried) otherwise."""
        if not self._pending:
            return
        left = self._producer.flush(self._timeout_s)
        if left or self._failures:
            reason = self._failures[0] if self._failures else f"{left} not acknowledged"
            self._pending.clear()
            self._failures.clear()
            raise TransientError("broker", f"dead letters: {reason}")
        self._state.record_errants(self._pending)
        for errant in self._pending:
            metrics.record_connector_error(self.name, errant.reason_code)
        self._pending.clear()

    def discard(self) -> None:
        """Forget reports of a batch that will be read again (they will be reported again)."""
        self._pending.clear()
        self._failures.clear()

    def _report(
        self,
        where: _Where,
        code: DeadLetterReason,
        reason: str,
        event: Event | None,
        *,
        stream: str | None = None,
    ) -> None:
        reason = reason[:_REASON_MAX]
        if self._tolerance == "none":
            raise ErrantRecordError(
                f"record refused and errors_tolerance is none: {reason}"
                f" ({where.topic}[{where.partition}]@{where.offset})"
            )
        position = stream or f"{where.topic}|{where.partition}|{where.offset}"
        dead = self._dead_letter(where, code, reason, event, position)
        self._produce(dead, where)
        self._pending.append(
            Errant(
                str(dead.envelope.event_id),
                where.topic,
                where.partition,
                where.offset,
                str(event.envelope.event_id) if event else None,
                code.value,
                reason,
                dead.failed_at,
            )
        )
        log.warning(
            "record dead-lettered",
            connector=self.name,
            topic=where.topic,
            partition=where.partition,
            offset=where.offset,
            reason_code=code.value,
            reason=reason,
        )

    def _dead_letter(
        self, where: _Where, code: DeadLetterReason, reason: str, event: Event | None, pos: str
    ) -> DeadLetter:
        env = event.envelope if event else None
        return DeadLetter(
            envelope=new_envelope(
                DeadLetter,
                sender=self.party,
                region=env.region if env else "000000",
                case_key=env.case_key if env else (where.key or b"").decode("utf-8", "replace"),
                event_id=uuid.uuid5(_NS, f"{self.name}|{self.party}|{pos}"),
                causation_id=env.event_id if env else None,
            ),
            reason_code=code,
            reason=reason,
            original_topic=where.topic,
            original_partition=where.partition,
            original_offset=where.offset,
            original_key=where.key,
            original_value=None,  # the payload stays where it belongs (inbox or source)
            original_headers=[],
            failed_at=datetime.now(UTC),
            service=CONNECTOR_SERVICE_PREFIX + self.name,
        )

    def _produce(self, dead: DeadLetter, where: _Where) -> None:
        headers = {
            h.EVENT_ID: str(dead.envelope.event_id),
            h.EVENT_TYPE: "DeadLetter",
            h.DLQ_REASON: dead.reason_code.value,
            h.DLQ_DETAIL: dead.reason,
            h.SOURCE_TOPIC: where.topic,
            h.SOURCE_PARTITION: str(where.partition),
            h.SOURCE_OFFSET: str(where.offset),
            h.PAYLOAD_DROPPED: "1",
        }

        def delivered(err: KafkaError | None, _msg: Message[Any, Any]) -> None:
            if err is not None:
                self._failures.append(err.name())

        topic = connector_dead_letter_topic(self.party)
        value = self._serde.encode(dead, topic)
        while True:
            try:
                self._producer.produce(
                    topic,
                    key=dead.envelope.case_key.encode(),
                    value=value,
                    headers=list(headers.items()),
                    on_delivery=delivered,
                )
                return
            except BufferError:
                self._producer.poll(0.05)
