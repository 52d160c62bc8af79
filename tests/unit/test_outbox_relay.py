"""The outbox relay's in-flight bookkeeping, with a producer of our own (no broker).

A row handed to the producer is never handed over again until its delivery report came back;
a failed report makes it pending again and is reported once; relays sharing a store never
hold the same row. The store is a SQLite file: the relay's claims are SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError
from sqlalchemy import Engine, func, select

from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.outbox import OutgoingMessage, enqueue
from sgbus.bus.store.tables import outbox
from sgbus.producers import relay as relay_module
from sgbus.producers.relay import OutboxRelay, RelayError

OnDelivery = Callable[[KafkaError | None, Any], None]


@dataclass
class Queued:
    event_id: str
    on_delivery: OnDelivery


class FakeProducer:
    """Queues what it is given; reports come back only when the test says, served by poll."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.queue: list[Queued] = []
        self.reports: list[tuple[Queued, KafkaError | None]] = []
        self.produced: list[str] = []

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        headers: list[tuple[str, str | bytes | None]] | None = None,
        on_delivery: OnDelivery | None = None,
    ) -> None:
        if len(self.queue) >= self.capacity:
            raise BufferError("queue full")
        assert on_delivery is not None and headers is not None
        event_id = str(dict(headers)["sgbus-event-id"])
        self.queue.append(Queued(event_id, on_delivery))
        self.produced.append(event_id)

    def complete(self, n: int | None = None, err: KafkaError | None = None) -> None:
        """The broker answers the oldest ``n`` queued messages (all by default)."""
        n = len(self.queue) if n is None else n
        done, self.queue = self.queue[:n], self.queue[n:]
        self.reports += [(q, err) for q in done]

    def poll(self, timeout: float = 0) -> int:
        served, self.reports = self.reports, []
        for q, err in served:
            q.on_delivery(err, None)
        return len(served)

    def flush(self, timeout: float = 0) -> int:
        self.poll()
        return len(self.queue)

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        if in_queue:
            self.complete(err=KafkaError(KafkaError._PURGE_QUEUE))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(e)
    return e


def _enqueue(engine: Engine, n: int, start: int = 0) -> list[str]:
    ids = [f"00000000-0000-0000-0000-{i:012d}" for i in range(start, start + n)]
    with engine.begin() as conn:
        enqueue(
            conn,
            [
                OutgoingMessage(i, "sg.wh-market.outbox", b"k", b"v", {"sgbus-event-id": i})
                for i in ids
            ],
        )
    return ids


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        q = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(conn.execute(q).scalar_one())


def test_rows_in_flight_are_never_handed_over_again(engine: Engine) -> None:
    ids = _enqueue(engine, 5)
    producer = FakeProducer()
    relay = OutboxRelay(engine, producer)
    assert relay.relay_once() == 0
    assert producer.produced == ids and relay.in_flight == 5
    for _ in range(3):
        assert relay.relay_once() == 0
    with pytest.raises(RelayError, match="not confirmed in time"):
        relay.drain(timeout_s=0)
    assert producer.produced == ids, "a row still in flight was sent again"

    producer.complete()
    assert relay.relay_once() == 5
    assert relay.in_flight == 0 and _unsent(engine) == 0
    assert relay.drain(timeout_s=0) == 0 and producer.produced == ids


def test_new_rows_go_out_while_older_ones_are_still_in_flight(engine: Engine) -> None:
    first = _enqueue(engine, 3)
    producer = FakeProducer()
    relay = OutboxRelay(engine, producer)
    relay.relay_once()
    second = _enqueue(engine, 2, start=3)
    relay.relay_once()
    assert producer.produced == first + second
    producer.complete(3)
    assert relay.relay_once() == 3 and relay.in_flight == 2


def test_a_failed_report_makes_rows_pending_again_and_is_reported_once(engine: Engine) -> None:
    ids = _enqueue(engine, 4)
    producer = FakeProducer()
    relay = OutboxRelay(engine, producer)
    relay.relay_once()
    producer.complete(2, KafkaError(KafkaError._MSG_TIMED_OUT))
    with pytest.raises(RelayError) as raised:
        relay.relay_once()
    assert (raised.value.source, raised.value.reason) == (
        "broker",
        "delivery failed: _MSG_TIMED_OUT",
    )
    assert producer.produced == ids, "failed rows are resent by a later call, not at once"
    relay.relay_once()
    assert producer.produced == ids + ids[:2]
    producer.complete()
    assert relay.relay_once() == 4
    assert _unsent(engine) == 0


def test_two_relays_on_one_store_never_hold_the_same_row(engine: Engine) -> None:
    ids = _enqueue(engine, 6)
    pa, pb = FakeProducer(), FakeProducer()
    a = OutboxRelay(engine, pa, batch=4)
    b = OutboxRelay(engine, pb, batch=4)
    a.relay_once()
    b.relay_once()
    assert pa.produced == ids[:4] and pb.produced == ids[4:]
    b.relay_once()
    assert pb.produced == ids[4:], "rows leased by the other relay were taken"
    pa.complete(err=KafkaError(KafkaError._MSG_TIMED_OUT))
    with pytest.raises(RelayError):
        a.relay_once()
    b.relay_once()  # released after the failed report: anyone may send them now
    assert pb.produced == ids[4:] + ids[:4]
    assert sorted(pa.produced + pb.produced) == sorted(ids + ids[:4])


def test_a_dead_relays_rows_are_taken_over_when_the_lease_runs_out(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _enqueue(engine, 2)
    monkeypatch.setattr(relay_module, "LEASE_MARGIN_S", 0.0)
    dead = OutboxRelay(engine, FakeProducer(), message_timeout_s=0.0)
    dead.relay_once()
    heir_producer = FakeProducer()
    OutboxRelay(engine, heir_producer).relay_once()
    assert heir_producer.produced == ids


def test_a_restarted_relay_with_the_same_owner_takes_its_rows_back_at_once(
    engine: Engine,
) -> None:
    ids = _enqueue(engine, 2)
    OutboxRelay(engine, FakeProducer(), owner="dept:replica-0").relay_once()  # then killed
    other = FakeProducer()
    OutboxRelay(engine, other).relay_once()
    assert other.produced == [], "leased to the killed relay"
    again = FakeProducer()
    OutboxRelay(engine, again, owner="dept:replica-0").relay_once()
    assert again.produced == ids


def test_rows_the_full_queue_refused_are_given_back(engine: Engine) -> None:
    ids = _enqueue(engine, 5)
    small = FakeProducer(capacity=2)
    relay = OutboxRelay(engine, small)
    relay.relay_once()
    assert small.produced == ids[:2] and relay.in_flight == 2
    other = FakeProducer()
    OutboxRelay(engine, other).relay_once()
    assert other.produced == ids[2:]


def test_close_gives_back_rows_still_queued(engine: Engine) -> None:
    ids = _enqueue(engine, 3)
    producer = FakeProducer()
    relay = OutboxRelay(engine, producer)
    relay.relay_once()
    producer.complete(1)
    relay.close(timeout_s=0)
    assert _unsent(engine) == 2 and relay.in_flight == 0
    other = FakeProducer()
    OutboxRelay(engine, other).relay_once()
    assert other.produced == ids[1:]


def test_reports_survive_a_store_that_is_away(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    ids = _enqueue(engine, 3)
    producer = FakeProducer()
    relay = OutboxRelay(engine, producer)
    relay.relay_once()
    producer.complete()
    real = relay_module.mark_sent

    def away(*_a: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(relay_module, "mark_sent", away)
    with pytest.raises(OperationalError):
        relay.relay_once()
    assert relay.in_flight == 3
    monkeypatch.setattr(relay_module, "mark_sent", real)
    assert relay.relay_once() == 3
    assert producer.produced == ids and _unsent(engine) == 0


def test_a_fatal_producer_is_replaced_only_after_every_report_came_back(engine: Engine) -> None:
    ids = _enqueue(engine, 4)
    old, new = FakeProducer(), FakeProducer()
    relay = OutboxRelay(engine, old, producer_factory=lambda: new)
    relay.relay_once()
    fatal = KafkaError(KafkaError._FATAL, "fenced", fatal=True)
    old.complete(2, fatal)
    with pytest.raises(RelayError):
        relay.relay_once()
    relay.relay_once()
    assert new.produced == [] and old.produced == ids, "two reports of the old one missing"
    old.complete(err=fatal)
    with pytest.raises(RelayError):
        relay.relay_once()
    relay.relay_once()  # every report back: replaced
    relay.relay_once()
    assert new.produced == ids
