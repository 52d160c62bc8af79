"""Dead letters you can act on: select them, show them without their payload, replay them.

Pure parts (selection, rows, replay records) apart from reading ``sg.deadletter``
(:func:`read_dead_letters`, a throwaway consumer that commits nothing) and from publishing
(:mod:`sgbus.producers.replay`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet

from sgbus.bus import headers as h
from sgbus.bus.calendar.timeutil import parse_instant
from sgbus.bus.deadletter_payload import (
    PayloadNotKept,
    PayloadUnreadable,
    marks,
    original_payload,
)
from sgbus.bus.events import DeadLetter, DeadLetterReason, event_type_of
from sgbus.bus.parties import DEAD_LETTER_TOPIC, REPLAY_LEDGER_TOPIC
from sgbus.bus.reading import read_to_end
from sgbus.bus.serde import DecodeError, Serde
from sgbus.bus.settings import Settings
from sgbus.runtime.faults import is_transient

_OUTBOX = re.compile(r"^sg\.[a-z][a-z0-9-]{1,47}\.outbox$")
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def decode_failure_reason(exc: DecodeError) -> DeadLetterReason:
    """``UNKNOWN_SCHEMA`` when the registry answered that it does not know the record's schema
    id (HTTP 404 under the error), else ``UNDECODABLE``: bad bytes stay bad, while an unknown
    schema is worth a replay once the schema is restored."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if getattr(cur, "http_status_code", None) == 404:
            return DeadLetterReason.UNKNOWN_SCHEMA
        cur = cur.__cause__ or cur.__context__
    return DeadLetterReason.UNDECODABLE


def parse_reason(text: str) -> DeadLetterReason:
    """A reason code from ``validation-failed`` or ``VALIDATION_FAILED``; a clear error naming
    the known codes otherwise."""
    code = text.strip().upper().replace("-", "_")
    try:
        return DeadLetterReason(code)
    except ValueError:
        known = ", ".join(r.value for r in DeadLetterReason)
        raise ValueError(f"unknown dead-letter reason {text!r}; known: {known}") from None


def parse_since(text: str, now: datetime) -> datetime:
    """The start of a time window: ISO 8601 with an offset, or a duration back from ``now``
    such as ``30m``, ``12h``, ``7d``."""
    match = _DURATION.fullmatch(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        return parse_instant(text.strip())
    except ValueError:
        raise ValueError(
            f"--since {text!r}: give an ISO 8601 time with offset"
            " (2026-09-30T08:00:00+08:00) or a duration (30m, 12h, 7d)"
        ) from None


@dataclass(frozen=True)
class Selection:
    """Which dead letters a command acts on; an empty selection takes every one."""

    reason: DeadLetterReason | None = None
    since: datetime | None = None
    dead_letter_id: str | None = None

    def matches(self, dead: DeadLetter) -> bool:
        """Whether ``dead`` is selected."""
        if self.reason is not None and dead.reason_code is not self.reason:
            return False
        if self.since is not None and dead.failed_at < self.since:
            return False
        return self.dead_letter_id is None or str(dead.envelope.event_id) == self.dead_letter_id


@dataclass(frozen=True)
class Row:
    """What ``sgbus deadletter list`` shows of a dead letter: where, when and why; never the
    payload (the reason text is data-free by contract)."""

    dead_letter_id: str
    failed_at: datetime
    reason_code: str
    reason: str
    original_topic: str
    original_partition: int
    original_offset: int
    event_type: str | None
    replayed: bool
    payload: str = "kept"  # how the original is kept: encrypted, dropped, kept, none


def row_of(
    dead: DeadLetter,
    serde: Serde,
    delivered: Collection[str] = frozenset(),
    fernet: Fernet | None = None,
) -> Row:
    """The row of ``dead``; its event type if the original decodes (now, decrypted with
    ``fernet``), and whether a replay of it was delivered (``delivered``: event ids in the
    router's replay ledger)."""
    event_type = None
    with contextlib.suppress(PayloadNotKept, PayloadUnreadable):
        value = original_payload(dead, fernet)
        with contextlib.suppress(DecodeError):  # still undecodable: no type to show
            event_type = event_type_of(serde.decode(value, dead.original_topic)) if value else None
    refused = dead.envelope.causation_id
    return Row(
        dead_letter_id=str(dead.envelope.event_id),
        failed_at=dead.failed_at,
        reason_code=dead.reason_code.value,
        reason=dead.reason,
        original_topic=dead.original_topic,
        original_partition=dead.original_partition,
        original_offset=dead.original_offset,
        event_type=event_type,
        replayed=refused is not None and str(refused) in delivered,
        payload=payload_kind(dead),
    )


def payload_kind(dead: DeadLetter) -> str:
    """``encrypted``, ``dropped``, ``kept`` (a dead letter from before encryption) or ``none``
    (the original had no value)."""
    found = marks(dead)
    if h.PAYLOAD_DROPPED in found:
        return "dropped"
    if dead.original_value is None:
        return "none"
    return "encrypted" if h.PAYLOAD_ENCRYPTED in found else "kept"


@dataclass(frozen=True)
class ReplayRecord:
    """A dead letter's original, as it is to be published again."""

    dead_letter_id: str
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, str | bytes | None]]


#: ``DeadLetter.service`` of the dead letters a connector wrote: ``connector:<name>``.
CONNECTOR_SERVICE_PREFIX = "connector:"


class NotReplayable(ValueError):
    """A dead letter whose original cannot be published again (no value, not from an outbox)."""


def replay_record(dead: DeadLetter, fernet: Fernet | None = None) -> ReplayRecord:
    """The original of ``dead`` (decrypted with ``fernet``) with its key, marked as a replay
    of ``dead``. Dead letters keep no sender headers; one from before that keeps its own
    (not the bus's)."""
    dead_id = str(dead.envelope.event_id)
    if dead.service.startswith(CONNECTOR_SERVICE_PREFIX):
        # Its original stays in the party's inbox or source system, out of the operator's
        # reach; the connector, acting as the party, offers it to its target again.
        name = dead.service.removeprefix(CONNECTOR_SERVICE_PREFIX)
        raise NotReplayable(
            f"dead letter {dead_id} was set aside by the {dead.envelope.sender} connector"
            f" {name!r}: replay it there, `sgbus connector replay {name} --config FILE`"
        )
    try:
        value = original_payload(dead, fernet)
    except (PayloadNotKept, PayloadUnreadable) as exc:
        raise NotReplayable(str(exc)) from None
    if value is None:
        raise NotReplayable(f"dead letter {dead_id}: the original had no value")
    if not _OUTBOX.fullmatch(dead.original_topic):
        raise NotReplayable(f"dead letter {dead_id}: {dead.original_topic} is not an outbox")
    headers: list[tuple[str, str | bytes | None]] = [
        (k.key, k.value) for k in dead.original_headers if not k.key.startswith(h.BUS_PREFIX)
    ]
    return ReplayRecord(
        dead_id,
        dead.original_topic,
        dead.original_key,
        value,
        [*headers, (h.REPLAY_OF, dead_id.encode())],
    )


def in_original_order(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    """Dead letters in the order their originals were read, so a case stays in order."""
    return sorted(
        letters, key=lambda d: (d.original_topic, d.original_partition, d.original_offset)
    )


def read_dead_letters(
    settings: Settings,
    serde: Serde,
    selection: Selection = Selection(),
    progress: Callable[[int], None] = lambda _n: None,
    topics: Collection[str] = (DEAD_LETTER_TOPIC,),
) -> Iterator[DeadLetter]:
    """The selected dead letters on ``topics`` (``sg.deadletter``: the bus's own), from their
    start to their current end. ``progress`` is told how many records were read, every
    thousand. A party's connector dead-letter topic may hold what its writer liked: a record
    there that is no dead letter is skipped, never fatal."""
    for n, r in enumerate(read_to_end(settings, list(topics), timeout_s=600), start=1):
        if n % 1000 == 0:
            progress(n)
        if r.value is None:
            continue
        if r.topic != DEAD_LETTER_TOPIC:
            try:
                event = serde.decode(r.value, r.topic, r.partition, r.offset)
            except DecodeError as exc:
                if is_transient(exc):
                    raise
                continue
            if isinstance(event, DeadLetter) and selection.matches(event):
                yield event
            continue
        event = serde.decode(r.value, r.topic, r.partition, r.offset)
        if isinstance(event, DeadLetter) and selection.matches(event):
            yield event


def delivered_replays(settings: Settings, timeout_s: float = 60) -> set[str]:
    """Event ids the router delivered by replay (its ledger, read committed to the end)."""
    return {
        r.key.decode("utf-8", "replace")
        for r in read_to_end(settings, [REPLAY_LEDGER_TOPIC], timeout_s=timeout_s)
        if r.key is not None and r.value is not None
    }
