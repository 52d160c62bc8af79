"""The outbox relay: hands rows of the SQL outbox table to a Kafka producer and marks each
row sent when the broker's delivery report for it arrives.

A row is never sent twice while its first copy may still be in flight:

* the relay keeps its producer and the set of rows handed to it whose delivery report has not
  come back, and never selects those rows again;
* librdkafka reports every message within ``message.timeout.ms`` (finite, set by
  :func:`relay_producer`), as delivered or failed; only a failed report makes a row pending
  again, and only a later call sends it again;
* a producer that has a fatal error is replaced only once every report of the old one has
  come back.

Several relays may share one store (scaled-out services, ``sgbus claim`` beside a running
service). Each claims the rows it hands over with a short write — its owner name and a lease
that outlasts ``message.timeout.ms`` — instead of holding a transaction open while it
publishes. Another relay takes a row only once it is sent, released after a failed report,
or its lease has run out (its relay died). A crash between the broker's acknowledgement and
the row being marked sent resends the row after a restart; its event id is deterministic, so
consumers drop the copy. Rows are never deleted, which keeps a record of what each service
published.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from confluent_kafka import KafkaError, KafkaException, Producer
from sqlalchemy import Engine, and_, or_, select, update

from sgbus.bus.settings import Settings
from sgbus.bus.store.outbox import PendingMessage, mark_sent, to_pending
from sgbus.bus.store.tables import outbox
from sgbus.runtime.faults import Source, TransientError

log = structlog.get_logger("sgbus.producers.relay")

#: librdkafka's own default ``message.timeout.ms``: what a producer not made by
#: :func:`relay_producer` (and not tuned by the operator) reports within.
DEFAULT_MESSAGE_TIMEOUT_S = 300.0
#: The delivery timeout of producers made by :func:`relay_producer`.
RELAY_MESSAGE_TIMEOUT_S = 60.0
#: A lease outlasts the delivery timeout by this much: time from claiming to producing, and
#: clock differences between the hosts of scaled-out relays.
LEASE_MARGIN_S = 60.0


class RelayError(TransientError):
    """Rows were not confirmed (delivery failed, or not confirmed in time); they stay pending
    and are retried. A transient fault: the service waits it out."""


OnDelivery = Callable[[KafkaError | None, Any], None]


class RelayProducer(Protocol):
    """The part of :class:`confluent_kafka.Producer` the relay uses."""

    def produce(
        self,
        topic: str,
        value: bytes | None = ...,
        key: bytes | None = ...,
        *,
        headers: list[tuple[str, str | bytes | None]] | None = ...,
        on_delivery: OnDelivery | None = ...,
    ) -> None:
        """Queue one message; its report is served by :meth:`poll` or :meth:`flush`."""

    def poll(self, timeout: float = ...) -> int:
        """Serve delivery callbacks, waiting up to ``timeout`` seconds for one."""

    def flush(self, timeout: float = ...) -> int:
        """Wait up to ``timeout`` seconds for every report; return how many are missing."""

    def purge(self, in_queue: bool = ..., in_flight: bool = ..., blocking: bool = ...) -> None:
        """Fail queued messages that have not been sent yet (their reports say so)."""


def message_timeout_s(settings: Settings) -> float:
    """The delivery timeout of :func:`relay_producer` (the operator may set it)."""
    value = settings.kafka_producer.get("message.timeout.ms")
    return float(value) / 1000 if isinstance(value, int | float) else RELAY_MESSAGE_TIMEOUT_S


def relay_producer(settings: Settings) -> Producer:
    """A producer for a relay: the bus's, with a finite delivery timeout."""
    from sgbus.bus.kafka_clients import make_producer

    extra: dict[str, Any] = {"message.timeout.ms": int(RELAY_MESSAGE_TIMEOUT_S * 1000)}
    return make_producer(settings, None, **extra)


def default_owner() -> str:
    """A relay name unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxRelay:
    """Moves pending outbox rows to Kafka, oldest first, never two copies in flight."""

    def __init__(
        self,
        engine: Engine,
        producer: RelayProducer,
        batch: int = 500,
        timeout_s: float = 30,
        *,
        message_timeout_s: float = DEFAULT_MESSAGE_TIMEOUT_S,
        owner: str | None = None,
        producer_factory: Callable[[], RelayProducer] | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        """``message_timeout_s`` must be the producer's ``message.timeout.ms``.

        ``owner`` names this relay in the store; pass a name stable across restarts of one
        replica (never shared by two live processes) so that a restarted relay takes back its
        rows at once instead of after their lease. ``producer_factory`` replaces a producer
        that had a fatal error; without it such an error ends the caller.
        """
        self._engine = engine
        self._producer = producer
        self._factory = producer_factory
        self._batch = batch
        self._timeout_s = timeout_s
        self._lease = timedelta(seconds=message_timeout_s + LEASE_MARGIN_S)
        self._max_in_flight = max_in_flight or 5 * batch
        self.owner = owner or default_owner()
        self._reclaim_own = owner is not None
        self._in_flight: dict[int, PendingMessage] = {}
        self._delivered: set[int] = set()
        self._failed: dict[int, str] = {}
        self._fatal: KafkaError | None = None
        self._handed_last = 0

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, *, owner: str | None = None, batch: int = 500
    ) -> OutboxRelay:
        """A relay with its own producer (recreated after a fatal error)."""
        return cls(
            engine,
            relay_producer(settings),
            batch,
            message_timeout_s=message_timeout_s(settings),
            owner=owner,
            producer_factory=lambda: relay_producer(settings),
        )

    @property
    def handed_last(self) -> int:
        """How many rows the last call handed to the producer (more may be pending)."""
        return self._handed_last

    @property
    def in_flight(self) -> int:
        """Rows handed to the producer whose delivery report has not been settled."""
        return len(self._in_flight) + len(self._delivered) + len(self._failed)

    def relay_once(self) -> int:
        """Settle the delivery reports that came back, then hand the next pending rows to the
        producer without waiting for them; return how many rows were marked sent.

        Raises :class:`RelayError` once for the reports that said delivery failed (those rows
        are pending again); database errors propagate (transient, nothing lost: the reports
        stay held and are settled by the next call).
        """
        self._producer.poll(0)
        sent, failed = self._settle()
        if failed:
            raise RelayError(*failed)
        if self._fatal is not None:
            self._replace_producer()
            return sent
        self._hand_over()
        return sent

    def drain(self, timeout_s: float | None = None) -> int:
        """Send every pending row and wait up to ``timeout_s`` (default: the relay's) for
        their reports; return how many rows were marked sent.

        Raises :class:`RelayError` when a report said delivery failed or rows are still in
        flight at the deadline; those are not sent again until their report comes back.
        """
        deadline = time.monotonic() + (self._timeout_s if timeout_s is None else timeout_s)
        total = 0
        while True:
            total += self.relay_once()
            if not self.in_flight and not self._handed_last:
                return total
            left = deadline - time.monotonic()
            if left <= 0:
                raise RelayError("broker", "delivery not confirmed in time")
            self._producer.poll(min(0.1, left))

    def close(self, timeout_s: float = 10.0) -> None:
        """Wait up to ``timeout_s`` for outstanding reports, settle them, and give back the
        rows never sent; rows whose copies may still be on the wire keep their lease."""
        self._producer.flush(timeout_s)
        self._producer.purge(in_queue=True, in_flight=False, blocking=True)
        self._producer.poll(0)
        try:
            self._settle()
        except Exception as exc:  # the store may be away at shutdown; leases run out by then
            log.warning("outbox rows not settled at close", error=type(exc).__name__)
        if self._in_flight:
            log.warning("outbox rows still in flight at close", rows=len(self._in_flight))

    # -- delivery reports -------------------------------------------------------------------

    def _on_delivery(self, seq: int) -> OnDelivery:
        def report(err: KafkaError | None, _msg: Any) -> None:
            if self._in_flight.pop(seq, None) is None:
                return
            if err is None:
                self._delivered.add(seq)
                return
            self._failed[seq] = err.name()
            if err.fatal():
                self._fatal = err

        return report

    def _settle(self) -> tuple[int, tuple[Source, str] | None]:
        """Mark delivered rows sent and release failed ones in one transaction; return the
        count marked and, if any failed, the fault to report."""
        if not self._delivered and not self._failed:
            return 0, None
        delivered, failed = sorted(self._delivered), dict(self._failed)
        with self._engine.begin() as conn:
            mark_sent(conn, delivered)
            if failed:
                conn.execute(_release(self.owner, list(failed)))
        self._delivered.difference_update(delivered)
        for seq in failed:
            self._failed.pop(seq, None)
        if not failed:
            return len(delivered), None
        reason = sorted(set(failed.values()))[0]
        log.warning("outbox rows not delivered, pending again", rows=len(failed), reason=reason)
        return len(delivered), ("broker", f"delivery failed: {reason}")

    # -- handing rows over ------------------------------------------------------------------

    def _hand_over(self) -> None:
        self._handed_last = 0
        room = min(self._batch, self._max_in_flight - self.in_flight)
        if room <= 0:
            return
        if self._reclaim_own:
            with self._engine.begin() as conn:
                conn.execute(_release(self.owner))
            self._reclaim_own = False
        rows = [r for r in self._claim(room) if not self._held(r.seq)]
        for i, row in enumerate(rows):
            if not self._produce(row):
                self._give_back(rows[i:])
                break
            self._handed_last += 1

    def _held(self, seq: int) -> bool:
        return seq in self._in_flight or seq in self._delivered or seq in self._failed

    def _claim(self, limit: int) -> list[PendingMessage]:
        """Lease up to ``limit`` pending rows nobody holds to this relay, in one short write."""
        now = datetime.now(UTC)
        free = and_(
            outbox.c.sent_at.is_(None),
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        candidates = select(outbox.c.seq).where(free).order_by(outbox.c.seq).limit(limit)
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            seqs = list(conn.execute(candidates).scalars())
            if not seqs:
                return []
            # Conditional, so that of two relays racing for a row (SQLite) only one gets it.
            conn.execute(
                update(outbox)
                .where(outbox.c.seq.in_(seqs), free)
                .values(relay_owner=self.owner, lease_until=now + self._lease)
            )
            mine = select(outbox).where(
                outbox.c.seq.in_(seqs),
                outbox.c.relay_owner == self.owner,
                outbox.c.sent_at.is_(None),
            )
            return to_pending(conn.execute(mine.order_by(outbox.c.seq)))

    def _produce(self, row: PendingMessage) -> bool:
        """Hand one row to the producer; False when its queue is full or it failed for good."""
        m = row.message
        try:
            self._producer.produce(
                m.topic,
                key=m.key,
                value=m.value,
                headers=_headers(m.headers),
                on_delivery=self._on_delivery(row.seq),
            )
        except BufferError:
            return False
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if isinstance(err, KafkaError) and err.fatal():
                self._fatal = err
                return False
            raise
        self._in_flight[row.seq] = row
        return True

    def _give_back(self, rows: Sequence[PendingMessage]) -> None:
        """Release rows that never reached the producer: no copy of them exists."""
        with self._engine.begin() as conn:
            conn.execute(_release(self.owner, [r.seq for r in rows]))

    def _replace_producer(self) -> None:
        """After a fatal error: once every report of the old producer is back, a new one."""
        assert self._fatal is not None
        if self._factory is None:
            raise KafkaException(self._fatal)
        if self.in_flight:
            return
        log.warning("relay producer replaced after a fatal error", error=self._fatal.name())
        self._producer = self._factory()
        self._fatal = None


def _headers(headers: dict[str, str]) -> list[tuple[str, str | bytes | None]]:
    return list(headers.items())


def _release(owner: str, seqs: list[int] | None = None) -> Any:
    """Give unsent rows of ``owner`` (all, or those of ``seqs``) back to every relay."""
    q = update(outbox).where(outbox.c.relay_owner == owner, outbox.c.sent_at.is_(None))
    if seqs is not None:
        q = q.where(outbox.c.seq.in_(seqs))
    return q.values(relay_owner=None, lease_until=None)
