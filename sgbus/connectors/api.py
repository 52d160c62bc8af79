"""What a connector implements, and the records it is given or gives back.

Modelled on Kafka Connect's task contracts, reduced to what the bus needs:

* a :class:`Sink` gets a party's inbox items in batches through :meth:`Sink.put` and makes
  them durable in :meth:`Sink.flush`; the runtime commits the inbox offsets only after
  ``flush`` returned, so a crash redelivers, never loses. Every record carries its event id
  for the target to deduplicate on: delivery is at least once, and idempotent by event id;
* a :class:`Source` yields events from :meth:`Source.poll`, each with its *position* in the
  source system; the runtime stores positions only after the broker has the events.

Failures a connector raises are sorted by the service runtime (:mod:`sgbus.runtime.faults`):
a transient one (raise :class:`TargetUnavailable` when the target is away or overloaded) is
waited out with backoff and the same records are offered again; a record the target refuses
for good is handed to ``context.errant.report`` and the stream goes on; anything else ends the
connector as a bug would.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sgbus.bus.events import Event
from sgbus.bus.settings import Settings
from sgbus.connectors.config import ConnectorConfig
from sgbus.producers.publisher import Receipt
from sgbus.runtime.faults import TransientError

if TYPE_CHECKING:
    from sgbus.connectors.errant import ErrantReporter

ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)
#: A source position: JSON-serialisable (numbers, strings, lists, mappings).
Position = Any


class TargetUnavailable(TransientError):
    """The target system cannot take records now (down, overloaded, timing out): the runtime
    waits with backoff and offers the same records again. ``reason`` must hold no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__("target", reason)


class CheckFailed(Exception):
    """``sgbus connector check`` found the target unusable; the message says why."""


@dataclass(frozen=True)
class InboxRecord:
    """One inbox item as a sink receives it."""

    event: Event
    event_id: str
    event_type: str
    topic: str
    partition: int
    offset: int
    #: W3C trace context of the conversation, when the record carried one.
    traceparent: str | None = None


@dataclass(frozen=True)
class SourceRecord:
    """One event a source offers, and where it came from in the source system."""

    event: Event
    #: The source's stream this record belongs to (a table, a file, a queue).
    stream: str
    #: The stream's position *after* this record; stored once the broker has the event.
    position: Position
    #: A short, data-free name of the record in its source (``row 17``, ``a.csv:12``), for
    #: dead-letter reasons and logs.
    ref: str


@dataclass
class ConnectorContext:
    """What the runtime gives a connector: who it acts for, how to report, when to stop."""

    name: str
    party: str
    settings: Settings
    stop: threading.Event
    errant: ErrantReporter


class _Connector(ABC, Generic[ConfigT]):
    def __init__(self, config: ConfigT, context: ConnectorContext) -> None:
        self.config = config
        self.context = context

    def open(self) -> None:
        """Connect to the target before the first record (a transient failure is retried)."""

    def check(self) -> None:
        """Test connectivity for ``sgbus connector check``; raise :class:`CheckFailed` with a
        readable reason when the target is not usable."""

    def close(self) -> None:
        """Release the target's resources at stop (after the last flush or commit)."""


class Sink(_Connector[ConfigT]):
    """Delivers a party's inbox items to a target system."""

    @abstractmethod
    def put(self, records: Sequence[InboxRecord]) -> None:
        """Hand ``records`` to the target (in order), or report those it refuses for good with
        ``self.context.errant.report_inbox``. Raise :class:`TargetUnavailable` to have the
        whole batch offered again later."""

    def flush(self) -> None:
        """Make everything put so far durable in the target; offsets commit after it returns."""


class Source(_Connector[ConfigT]):
    """Publishes events from a source system to the party's outbox."""

    def start(self, positions: Mapping[str, Position]) -> None:
        """Resume from ``positions`` (stream → last stored position; empty on the first run)."""

    @abstractmethod
    def poll(self, max_records: int) -> Sequence[SourceRecord]:
        """Up to ``max_records`` next records in order; empty when there is nothing new."""

    def committed(self, records: Sequence[SourceRecord], receipts: Sequence[Receipt]) -> None:
        """The broker has ``records`` (where: ``receipts``, in the same order) and their
        positions are stored: mark them sent."""

    def rejected(self, record: SourceRecord, reason: str) -> None:
        """``record`` was dead-lettered for ``reason`` (mark it refused in the source)."""

    def pending(self) -> int | None:
        """Records waiting in the source, for the lag metric; None when not known."""
        return None


def connector_key(name: str, party: str) -> Mapping[str, str]:
    """Log fields that name a connector instance."""
    return {"connector": name, "party": party}
