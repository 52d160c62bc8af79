"""What a batch of audit records means for the obligations, before any database work.

Decoding and applying the policy are pure and take about half of the watchdog's time per
record; keeping them apart from the transaction lets them run for the next batch, in another
process (:mod:`sgbus.consumers.watchdog.interpreters`), while this batch is being written.
Each result carries the partition and offset it was read at, so the transaction can still drop
what another instance has already applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sgbus.bus.events import DeadLetterReason, event_type_of
from sgbus.bus.obligations.actions import ItemAction
from sgbus.bus.obligations.model import Answer, Opening
from sgbus.bus.obligations.regional import AnyIngestor
from sgbus.bus.serde import DecodeError, Serde
from sgbus.consumers.watchdog.audit import RawRecord, decode_audit
from sgbus.consumers.watchdog.deadletters import reason_of


@dataclass(frozen=True)
class Interpreted:
    """One audit record's openings and answers, and where it was read."""

    topic: str
    partition: int
    offset: int
    openings: tuple[Opening, ...] = ()
    answers: tuple[Answer, ...] = ()
    actions: tuple[ItemAction, ...] = ()
    sender: str | None = None
    """The event's sender; None when the record could not be decoded."""
    event_type: str | None = None
    decode_error: str | None = None
    """Why the record could not be read (data-free); it is then dead-lettered."""
    dead_letter: DeadLetterReason | None = None
    """The dead-letter reason of a record that could not be read."""
    skipped: tuple[str, ...] = ()
    """Why a rule that applied opened or answered nothing (never personal data)."""


def interpret(
    records: Sequence[RawRecord], serde: Serde, ingestor: AnyIngestor
) -> list[Interpreted]:
    """The meaning of each of ``records``, in order; an undecodable one says why.

    A registry that cannot be asked raises :class:`~sgbus.bus.serde.RegistryUnavailable` for
    the whole batch: the record may be perfectly good, so it is retried, never set aside.
    """
    out: list[Interpreted] = []
    for raw in records:
        try:
            audit = decode_audit(serde, raw)
        except DecodeError as exc:
            out.append(
                Interpreted(
                    raw.topic,
                    raw.partition,
                    raw.offset,
                    decode_error=str(exc),
                    dead_letter=reason_of(exc),
                )
            )
            continue
        got = ingestor.ingest(audit)
        # Computed (and cached) here, so the ids travel with the result instead of being
        # worked out again by the process writing to the store.
        for opening in got.openings:
            _ = opening.id
        for answer in got.answers:
            _ = answer.obligation_id
        out.append(
            Interpreted(
                raw.topic,
                raw.partition,
                raw.offset,
                tuple(got.openings),
                tuple(got.answers),
                tuple(got.actions),
                audit.event.envelope.sender,
                event_type_of(audit.event),
                skipped=tuple(got.skipped),
            )
        )
    return out
