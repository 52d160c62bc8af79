"""The outbox relay: publishes rows of the SQL outbox table and marks them sent.

A crash between the broker's acknowledgement and ``mark_sent`` resends the row on restart;
its event id is deterministic, so consumers drop the copy. Rows are never deleted, which
keeps a record of what each service published.
"""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import KafkaError, Message, Producer
from sqlalchemy import Engine

from sgbus.bus.store.outbox import PendingMessage, mark_sent, pending


class RelayError(RuntimeError):
    """The broker did not take every message; the rows stay pending and are retried."""


class OutboxRelay:
    """Moves pending outbox rows to Kafka, oldest first."""

    def __init__(self, engine: Engine, producer: Producer, batch: int = 500, timeout_s: float = 30):
        self._engine = engine
        self._producer = producer
        self._batch = batch
        self._timeout_s = timeout_s

    def relay_once(self) -> int:
        """Publish one batch; return how many rows were confirmed by the broker."""
        if self._engine.dialect.name == "postgresql":
            # Several relays may share the store (scaled-out services): hold the rows while
            # publishing them, so no other relay sends them too.
            with self._engine.begin() as conn:
                rows = pending(conn, self._batch, lock=True)
                delivered, errors = self._publish(rows) if rows else ([], [])
                mark_sent(conn, delivered)
        else:
            # SQLite has one writer process; a short read keeps the file free while publishing.
            with self._engine.connect() as conn:
                rows = pending(conn, self._batch)
            delivered, errors = self._publish(rows) if rows else ([], [])
            with self._engine.begin() as conn:
                mark_sent(conn, delivered)
        if not rows:
            return 0
        if errors:
            raise RelayError(f"{len(errors)} of {len(rows)} messages not delivered: {errors[0]}")
        return len(delivered)

    def drain(self) -> int:
        """Publish until nothing is pending; return the total published."""
        total = 0
        while n := self.relay_once():
            total += n
        return total

    def _publish(self, rows: list[PendingMessage]) -> tuple[list[int], list[str]]:
        delivered: list[int] = []
        errors: list[str] = []

        def on_delivery(seq: int) -> Callable[[KafkaError | None, Message[bytes, bytes]], None]:
            def callback(err: KafkaError | None, _msg: Message[bytes, bytes]) -> None:
                if err is None:
                    delivered.append(seq)
                else:
                    errors.append(str(err))

            return callback

        for row in rows:
            m = row.message
            self._producer.produce(
                m.topic,
                key=m.key,
                value=m.value,
                headers=list(m.headers.items()),
                on_delivery=on_delivery(row.seq),
            )
            self._producer.poll(0)
        remaining = self._producer.flush(self._timeout_s)
        if remaining:
            errors.append(f"{remaining} still in flight after {self._timeout_s}s")
        return delivered, errors
