"""The department service: a party's inbox topic into its SQL store, and its claims out.

Each step reads a batch of ``sg.<party>.inbox``, decodes it and applies it in one database
transaction (:mod:`~sgbus.consumers.department.apply`): new items, claims on receipt into
the outbox table, the watchdog's auto-claims, undecodable records set aside, the next
offsets. Then the outbox relay hands new claims to ``sg.<party>.outbox``.

It runs on the service runtime. A registry, broker or database outage is waited out: the
batch in hand is read again after a backoff, nothing is set aside or skipped, the service is
marked unhealthy (its heartbeat stops) until a step succeeds again. A crash resumes from the
last commit: no item is lost or stored twice, and a claim sent twice carries the same event
id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine

from sgbus.bus import headers as h
from sgbus.bus.headers import header_map
from sgbus.bus.parties import check_party_id, inbox_topic, outbox_topic
from sgbus.bus.serde import DecodeError, Serde, serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import next_offsets_of
from sgbus.consumers.department.apply import Applied, Department, apply_batch
from sgbus.consumers.department.intake import Batch, Position, Received, Undecodable
from sgbus.consumers.stored_offsets import (
    StoredPositions,
    mirror_to_kafka,
    subscribe_from_store,
)
from sgbus.monitoring import metrics
from sgbus.monitoring.lag import OffsetReader
from sgbus.producers.relay import OutboxRelay
from sgbus.runtime.backoff import Backoff
from sgbus.runtime.faults import Fault, is_transient
from sgbus.runtime.loop import ServiceLoop
from sgbus.runtime.reader import BatchReader, Msg

SERVICE = "department"
#: Rows written by ``sgbus claim`` beside a running service are picked up this often.
RELAY_INTERVAL_S = 30.0
log = structlog.get_logger("sgbus.consumers.department.service")


def group_id(party: str) -> str:
    """The consumer group of ``party``'s department service (instances share it)."""
    return f"sgbus-department-{check_party_id(party)}"


@dataclass(frozen=True)
class DepartmentConfig:
    """What one department service process runs."""

    party: str
    db_url: str
    #: The party's own system claims every claimable item on receipt (integrated system).
    claim_on_receipt: bool = False
    batch_size: int = 500
    poll_timeout_s: float = 1.0
    #: First wait after a transient fault; it doubles up to 10 s while the fault lasts.
    retry_backoff_s: float = 0.5
    #: Static group membership (``group.instance.id``): a restarted process with the same id
    #: gets its partitions back at once instead of after the session timeout. One per replica.
    instance_id: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What one committed batch did."""

    records: int
    stored: int
    claims: int
    auto_claimed: int
    rejected: int


class DepartmentService:
    """Consumes ``sg.<party>.inbox`` into the party's store and relays its claims."""

    def __init__(
        self,
        config: DepartmentConfig,
        settings: Settings,
        *,
        serde: Serde | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock`` stamps receipts and integrated claims (default: real UTC time; the demo
        passes its simulated clock)."""
        from sgbus.bus.kafka_clients import make_consumer

        self.config = config
        self._clock = clock or (lambda: datetime.now(UTC))
        self.party = check_party_id(config.party)
        settings = settings.acting_as(self.party)
        self.group = group_id(self.party)
        self.inbox = inbox_topic(self.party)
        self.engine = make_engine(config.db_url)
        self._migrated = _try_migrate(self.engine)
        serde = serde or serde_for(settings)
        self.dept = Department(
            self.party, self.group, outbox_topic(self.party), serde, config.claim_on_receipt
        )
        static = {"group.instance.id": config.instance_id} if config.instance_id else {}
        self.consumer = make_consumer(settings, self.group, **static)
        self.reader = BatchReader(
            self.consumer, config.batch_size, config.poll_timeout_s, probe_topic=self.inbox
        )
        owner = f"{self.group}:{config.instance_id}" if config.instance_id else None
        self.relay = OutboxRelay.from_settings(self.engine, settings, owner=owner)
        self.retried_batches = 0
        self._unapplied: list[Msg] = []
        self._relay_due = True  # rows left by a previous run are sent first
        self._relayed_at = time.monotonic()
        self._stop = threading.Event()
        self.positions: StoredPositions | None = None

    def lag_reader(self) -> OffsetReader:
        """This service's lag, as its loop last recorded it (for the metrics thread)."""
        return self.reader.lag

    # -- the loop -----------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Consume until ``stop`` is set; then hand over what is in flight and close."""
        self._stop = stop or self._stop
        loop = ServiceLoop(
            SERVICE, self._stop, backoff=Backoff(self.config.retry_backoff_s, maximum_s=10.0)
        )
        if loop.until_done(self._open) is None:
            self._close_consumer()
            return
        log.info(
            "department service started",
            party=self.party,
            group=self.group,
            claim_on_receipt=self.config.claim_on_receipt,
        )
        try:
            loop.run(self.step, self._on_fault)
        finally:
            self._close()

    def _open(self) -> bool:
        if not self._migrated:
            migrate(self.engine)
            self._migrated = True
        self.positions = subscribe_from_store(self.consumer, self.engine, self.group, [self.inbox])
        metrics.record_inbox_rejected(self.party, 0)
        return True

    def step(self) -> BatchResult | None:
        """Read one batch (maybe empty), apply it, and relay new claims. A transient fault
        propagates to the loop with the batch still marked unapplied."""
        if self.positions is not None:
            self.positions.catch_up(self.consumer)
        taken = self.reader.take()
        result = None
        if taken.records:
            self._unapplied = taken.records
            result = self._apply(taken.records)
        self._relay()
        return result

    def _on_fault(self, fault: Fault) -> None:
        """Read the batch that was not applied again on the next step."""
        if self._unapplied:
            self.retried_batches += 1
            self.reader.rewind([self._unapplied])
            log.debug("batch to be read again", records=len(self._unapplied), source=fault.source)
            self._unapplied = []

    def _close(self) -> None:
        try:
            self.relay.drain(timeout_s=5.0)
        except Exception as exc:  # the broker or the store may be away: rows stay pending
            if not is_transient(exc):
                raise
            log.warning("claims left pending at stop", error=type(exc).__name__)
        finally:
            self.relay.close(timeout_s=5.0)
            self._close_consumer()
            log.info("department service stopped", party=self.party)

    def _close_consumer(self) -> None:
        self.consumer.close()

    # -- one batch ----------------------------------------------------------------------

    def _apply(self, records: list[Msg]) -> BatchResult:
        batch = self._decode(records)
        now = self._clock()
        with self.engine.begin() as conn:
            applied = apply_batch(conn, self.dept, batch, now)
        self._unapplied = []
        mirror_to_kafka(self.consumer, next_offsets_of(batch.positions()))
        self._count(batch, applied, now)
        result = BatchResult(
            len(records),
            len(applied.new),
            len(applied.claims),
            applied.auto_claimed,
            len(batch.undecodable),
        )
        log.info("batch committed", **result.__dict__)
        return result

    def _decode(self, records: list[Msg]) -> Batch:
        """Sort records into events and undecodable ones; a registry that cannot be asked
        raises (transient), it never makes a record undecodable."""
        batch = Batch()
        for m in records:
            at = Position(m.topic() or "", m.partition() or 0, m.offset() or 0)
            value = m.value() or b""
            try:
                event = self.dept.serde.decode(value, at.topic, at.partition, at.offset)
            except DecodeError as exc:
                if is_transient(exc):
                    raise
                batch.undecodable.append(Undecodable(at, exc.reason, len(value)))
                continue
            traceparent = header_map(m.headers()).get(h.TRACEPARENT)
            batch.received.append(Received(at, event, value, traceparent))
        return batch

    def _count(self, batch: Batch, applied: Applied, now: datetime) -> None:
        for item in applied.new:
            metrics.record_event_in(SERVICE, self.party, item.event_type)
            metrics.observe_delivery_delay(self.party, (now - item.occurred_at).total_seconds())
        if applied.claims:
            metrics.record_event_out(SERVICE, self.party, "Claim", len(applied.claims))
            self._relay_due = True
        if batch.undecodable:
            metrics.record_inbox_rejected(self.party, len(batch.undecodable))
        for u in batch.undecodable:
            log.warning(
                "undecodable record set aside",
                topic=u.at.topic,
                partition=u.at.partition,
                offset=u.at.offset,
                size=u.size,
                reason=u.reason,
            )

    # -- claims out ---------------------------------------------------------------------

    def _relay(self) -> None:
        """Settle delivery reports and hand new claims to the producer, without waiting."""
        periodic = time.monotonic() - self._relayed_at >= RELAY_INTERVAL_S
        if not (self._relay_due or self.relay.in_flight or periodic):
            return
        self._relayed_at = time.monotonic()
        sent = self.relay.relay_once()
        self._relay_due = self.relay.handed_last > 0  # more may be pending
        if sent:
            log.info("claims relayed", topic=self.dept.outbox, count=sent)


def _try_migrate(engine: Engine) -> bool:
    """Migrate now if the store answers; a store that is away is migrated once it is back."""
    try:
        migrate(engine)
    except Exception as exc:
        if not is_transient(exc):
            raise
        log.warning("store not reachable at start, will retry", error=type(exc).__name__)
        return False
    return True


def from_settings(
    settings: Settings,
    party: str,
    *,
    claim_on_receipt: bool | None = None,
    db_url: str | None = None,
    batch_size: int = 500,
    instance_id: str | None = None,
) -> DepartmentConfig:
    """The configuration of ``party``'s service: flags first, then settings."""
    check_party_id(party)
    if claim_on_receipt is None:
        claim_on_receipt = party in settings.claim_on_receipt_party_ids()
    return DepartmentConfig(
        party=party,
        db_url=db_url or settings.department_db_url(party),
        claim_on_receipt=claim_on_receipt,
        batch_size=batch_size,
        instance_id=instance_id,
    )
