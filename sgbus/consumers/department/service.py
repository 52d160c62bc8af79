"""The department service: a party's inbox topic into its SQL store, and its claims out.

Per batch, in one database transaction: the new items (deduplicated by event id), the claims
an integrated system makes on receipt (into the outbox table), the watchdog's auto-claims,
the undecodable records set aside, and the next offsets. Only after the commit are the claims
relayed to ``sg.<party>.outbox`` and the offsets mirrored to Kafka. A crash anywhere therefore
resumes from the last commit: no item is lost or stored twice, and a claim sent twice carries
the same event id.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from sgbus.bus import headers as h
from sgbus.bus.batching import take_batch
from sgbus.bus.events import Claim
from sgbus.bus.headers import header_map
from sgbus.bus.parties import WATCHDOG_PARTY, check_party_id, inbox_topic, outbox_topic
from sgbus.bus.serde import DecodeError, EncodeError, Serde, build_serde
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import next_offsets_of, save_offsets
from sgbus.bus.store.outbox import enqueue
from sgbus.consumers.department.intake import (
    Batch,
    Position,
    Received,
    Undecodable,
    auto_claim_notice,
    claim_message,
    integrated_claims,
    is_transient,
    to_item,
)
from sgbus.consumers.department.rejects import record_rejected
from sgbus.consumers.department.store import (
    ClaimMark,
    ClaimMode,
    InboxItem,
    mark_claimed,
    mark_claimed_many,
    store_items,
)
from sgbus.consumers.stored_offsets import mirror_to_kafka, subscribe_from_store
from sgbus.monitoring import metrics
from sgbus.producers.relay import OutboxRelay, RelayError

SERVICE = "department"
log = structlog.get_logger("sgbus.department")


def group_id(party: str) -> str:
    """The consumer group of ``party``'s department service (instances share it)."""
    return f"sgbus-department-{check_party_id(party)}"


@dataclass(frozen=True)
class DepartmentConfig:
    """What one department service process runs."""

    party: str
    db_url: str
    auto_claim: bool = False
    batch_size: int = 500
    poll_timeout_s: float = 1.0
    retry_backoff_s: float = 2.0
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


class _Retry(Exception):
    """The batch could not be applied for a reason that may pass; re-read it later."""


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
        from sgbus.bus.kafka_clients import make_consumer, make_producer

        self.config = config
        self._clock = clock or (lambda: datetime.now(UTC))
        self.party = check_party_id(config.party)
        self.group = group_id(self.party)
        self.inbox = inbox_topic(self.party)
        self.outbox = outbox_topic(self.party)
        self.engine = make_engine(config.db_url)
        migrate(self.engine)
        self.serde = serde or build_serde(settings.registry_url())
        static = {"group.instance.id": config.instance_id} if config.instance_id else {}
        self.consumer = make_consumer(settings, self.group, **static)
        self.relay = OutboxRelay(self.engine, make_producer(settings))
        self._relay_due = True  # rows left by a previous run are sent first
        self.retried_batches = 0
        self._stop = threading.Event()

    # -- loop ---------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Consume until ``stop`` is set; finish the batch in hand, then close the consumer."""
        self._stop = stop or self._stop
        subscribe_from_store(self.consumer, self.engine, self.group, [self.inbox])
        metrics.record_inbox_rejected(self.party, 0)
        log.info(
            "department service started",
            party=self.party,
            group=self.group,
            auto_claim=self.config.auto_claim,
        )
        try:
            while not self._stop.is_set():
                self.step()
                metrics.mark_heartbeat(SERVICE)
        finally:
            self._relay_pending()
            self.consumer.close()
            log.info("department service stopped", party=self.party)

    def step(self) -> BatchResult | None:
        """Consume and apply one batch (if any), then relay pending claims."""
        polled = take_batch(self.consumer, self.config.batch_size, self.config.poll_timeout_s)
        records = [m for m in polled if self._usable(m)]
        result = None
        if records:
            try:
                result = self._apply(records)
            except _Retry as exc:
                self.retried_batches += 1
                self._rewind(records)
                log.warning("batch not applied, retrying", reason=str(exc), records=len(records))
                self._stop.wait(self.config.retry_backoff_s)
        self._relay_pending()
        return result

    def _usable(self, m: Message[bytes, bytes]) -> bool:
        err = m.error()
        if err is None:
            return True
        if err.fatal():
            raise KafkaException(err)
        if err.code() != KafkaError._PARTITION_EOF:
            log.warning("consumer error", code=err.name(), topic=m.topic())
        return False

    def _rewind(self, records: list[Message[bytes, bytes]]) -> None:
        first: dict[tuple[str, int], int] = {}
        for m in records:
            key = (m.topic() or "", m.partition() or 0)
            first[key] = min(first.get(key, m.offset() or 0), m.offset() or 0)
        for (topic, partition), offset in first.items():
            self.consumer.seek(TopicPartition(topic, partition, offset))

    # -- one batch ----------------------------------------------------------------------

    def _apply(self, records: list[Message[bytes, bytes]]) -> BatchResult:
        batch = self._decode(records)
        now = self._clock()
        try:
            with self.engine.begin() as conn:
                new, claims, auto = self._transact(conn, batch, now)
        except (EncodeError, OperationalError) as exc:
            raise _Retry(type(exc).__name__) from exc
        next_offsets = next_offsets_of(batch.positions())
        self._after_commit(batch, new, claims, now)
        mirror_to_kafka(self.consumer, next_offsets)
        result = BatchResult(len(records), len(new), len(claims), auto, len(batch.undecodable))
        log.info("batch committed", **result.__dict__)
        return result

    def _decode(self, records: list[Message[bytes, bytes]]) -> Batch:
        batch = Batch()
        for m in records:
            at = Position(m.topic() or "", m.partition() or 0, m.offset() or 0)
            value = m.value() or b""
            try:
                event = self.serde.decode(value, at.topic, at.partition, at.offset)
            except DecodeError as exc:
                if is_transient(exc):
                    raise _Retry(f"schema registry: {exc.reason}") from exc
                batch.undecodable.append(Undecodable(at, exc.reason, len(value)))
                continue
            batch.received.append(
                Received(at, event, value, header_map(m.headers()).get(h.TRACEPARENT))
            )
        return batch

    def _transact(
        self, conn: Connection, batch: Batch, now: datetime
    ) -> tuple[list[InboxItem], list[Claim], int]:
        by_id = {str(r.event.envelope.event_id): r for r in batch.received}
        new = store_items(conn, self.party, [to_item(r, now) for r in batch.received])
        claims = self._claim_on_receipt(conn, new, by_id, now) if self.config.auto_claim else []
        auto = self._record_auto_claims(conn, new, by_id)
        record_rejected(conn, self.party, batch.undecodable, now)
        save_offsets(conn, self.group, next_offsets_of(batch.positions()))
        return new, claims, auto

    def _claim_on_receipt(
        self, conn: Connection, new: list[InboxItem], by_id: dict[str, Received], now: datetime
    ) -> list[Claim]:
        planned = integrated_claims(new, by_id, self.party, now)
        messages = [
            claim_message(c, self.serde.encode(c, self.outbox), self.outbox, r.traceparent)
            for c, r in planned
        ]
        enqueue(conn, messages)
        mark_claimed_many(
            conn,
            [
                ClaimMark(
                    str(c.claimed_event_id),
                    ClaimMode.INTEGRATED,
                    self.party,
                    now,
                    str(c.envelope.event_id),
                )
                for c, _ in planned
            ],
        )
        return [c for c, _ in planned]

    def _record_auto_claims(
        self, conn: Connection, new: list[InboxItem], by_id: dict[str, Received]
    ) -> int:
        applied = 0
        for item in new:
            notice = auto_claim_notice(by_id[item.event_id].event, self.party)
            if notice is None:
                continue
            if mark_claimed(
                conn,
                notice.item_event_id,
                ClaimMode.AUTOMATIC,
                WATCHDOG_PARTY,
                notice.at,
                notice.auto_claim_event_id,
            ):
                applied += 1
            else:
                log.info("auto-claim for an item not pending here", item=notice.item_event_id)
        return applied

    def _after_commit(
        self, batch: Batch, new: list[InboxItem], claims: list[Claim], now: datetime
    ) -> None:
        for item in new:
            metrics.record_event_in(SERVICE, self.party, item.event_type)
            metrics.observe_delivery_delay(self.party, (now - item.occurred_at).total_seconds())
        if claims:
            metrics.record_event_out(SERVICE, self.party, "Claim", len(claims))
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

    # -- relay --------------------------------------------------------------------------

    def _relay_pending(self) -> None:
        if not self._relay_due:
            return
        try:
            sent = self.relay.drain()
        except (RelayError, KafkaException) as exc:
            log.warning("claims not relayed yet, will retry", error=str(exc)[:200])
            return
        self._relay_due = False
        if sent:
            log.info("claims relayed", topic=self.outbox, count=sent)


def from_settings(
    settings: Settings,
    party: str,
    *,
    auto_claim: bool | None = None,
    db_url: str | None = None,
    batch_size: int = 500,
    instance_id: str | None = None,
) -> DepartmentConfig:
    """The configuration of ``party``'s service: flags first, then settings."""
    check_party_id(party)
    return DepartmentConfig(
        party=party,
        db_url=db_url or settings.department_db_url(party),
        auto_claim=auto_claim if auto_claim is not None else party in settings.auto_claim_parties,
        batch_size=batch_size,
        instance_id=instance_id,
    )
