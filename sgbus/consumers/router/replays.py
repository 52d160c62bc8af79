"""Replayed dead letters are delivered once, however often they are replayed.

``sgbus deadletter replay`` publishes a dead letter's original again with the ``REPLAY_OF``
header. When the router would deliver such a record, it first looks the event id up in its
replay ledger (``sg.router.replayed``, compacted, keyed by event id): a replay of an event it
already delivered is dropped; otherwise it delivers, and records the event id in the ledger in
the same transaction as the delivery.

The decision (:class:`ReplayBatch`) is pure; :class:`ReplayLedger` keeps what committed
batches delivered, and :func:`read_ledger` reads the topic (rarely: only when a batch holds
a replay).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from confluent_kafka import KafkaException

from sgbus.bus import headers as h
from sgbus.bus.deadletters import delivered_replays
from sgbus.bus.parties import REPLAY_LEDGER_TOPIC
from sgbus.bus.settings import Settings
from sgbus.consumers.router.records import OutRecord
from sgbus.runtime.faults import TransientError

log = structlog.get_logger("sgbus.router.replays")


def replay_of(headers: Mapping[str, str]) -> str | None:
    """The dead-letter id a record replays, or None for an ordinary record."""
    value = headers.get(h.REPLAY_OF, "").strip()
    return value or None


def ledger_record(event_id: str, dead_letter_id: str) -> OutRecord:
    """The ledger entry saying ``event_id`` was delivered by replaying ``dead_letter_id``."""
    return OutRecord(
        REPLAY_LEDGER_TOPIC,
        event_id.encode(),
        dead_letter_id.encode(),
        {h.EVENT_ID: event_id, h.REPLAY_OF: dead_letter_id},
    )


class ReplayCheck(Protocol):
    """What routing asks about a replay it would deliver."""

    def delivered_before(self, event_id: str) -> bool:
        """Whether a replay of ``event_id`` was delivered already (earlier or in this batch)."""
        ...

    def deliver(self, event_id: str, dead_letter_id: str) -> OutRecord:
        """Note the delivery; the ledger record to write with it."""
        ...

    def drop(self, event_id: str, dead_letter_id: str) -> None:
        """Note a replay dropped as already delivered."""
        ...


@dataclass
class ReplayBatch:
    """Replay decisions of one batch: the ledger as of the batch, plus what the batch
    delivered so far (two replays of one event in one batch deliver once)."""

    load: Callable[[], Collection[str]]
    delivered: dict[str, str] = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    _known: Collection[str] | None = None

    def delivered_before(self, event_id: str) -> bool:
        """Whether ``event_id`` was delivered by a replay; loads the ledger on first use."""
        if event_id in self.delivered:
            return True
        if self._known is None:
            self._known = self.load()
        return event_id in self._known

    def deliver(self, event_id: str, dead_letter_id: str) -> OutRecord:
        """Note that this batch delivers ``event_id``; the ledger record to write with it."""
        self.delivered[event_id] = dead_letter_id
        return ledger_record(event_id, dead_letter_id)

    def drop(self, event_id: str, dead_letter_id: str) -> None:
        """Note a replay of an event that was delivered before."""
        self.dropped.append((event_id, dead_letter_id))


class ReplayLedger:
    """The router's memory of delivered replays, across batches.

    Each batch starts from the ledger topic as read when its first replay needs it, plus the
    deliveries of batches committed since this router started (their ledger records may not
    be readable yet: commit markers are written after the commit returns). A batch that did
    not commit adds nothing.
    """

    def __init__(self, read: Callable[[], Iterable[str]]) -> None:
        self._read = read
        self._committed: set[str] = set()

    def batch(self) -> ReplayBatch:
        """A fresh batch of replay decisions."""
        return ReplayBatch(self._load)

    def committed(self, batch: ReplayBatch) -> None:
        """``batch`` was written: remember what it delivered, log what it dropped."""
        self._committed.update(batch.delivered)
        for event_id, dead_letter_id in batch.dropped:
            log.info(
                "replay already delivered, dropped", event_id=event_id, replay_of=dead_letter_id
            )

    def _load(self) -> set[str]:
        return set(self._read()) | self._committed


def read_ledger(settings: Settings) -> set[str]:
    """Event ids in the ledger topic, read committed to its end. A broker that cannot be read
    is a transient fault: the batch is routed again later, never delivered twice."""
    try:
        return delivered_replays(settings, timeout_s=15)
    except (TimeoutError, KafkaException) as exc:
        raise TransientError("broker", f"replay ledger not read: {type(exc).__name__}") from exc


def no_replays() -> ReplayBatch:
    """A batch for callers without a ledger: every replay is new (tests, tools)."""
    return ReplayBatch(frozenset)
