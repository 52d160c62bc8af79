"""The outbox relay on the real broker, SQLite and PostgreSQL: a relay that gives up waiting
never sends a row again while its first copy is still queued, and nothing is lost.

Two real ways for a flush to time out: messages held in the producer's queue by a long
``linger.ms`` (the broker is fine, the copies are simply not sent yet), and a "broker" that
accepts connections and never answers (the copies wait until ``message.timeout.ms``).
"""

from __future__ import annotations

import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from sqlalchemy import Engine, func, select

from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.outbox import OutgoingMessage, enqueue
from sgbus.bus.store.tables import outbox
from sgbus.producers.relay import OutboxRelay, RelayError
from tests.kafka_conf import client_conf

pytestmark = pytest.mark.integration

ROWS = 60


class CountingProducer(Producer):
    """A real producer that counts the messages handed to it."""

    def __init__(self, conf: dict[str, Any]) -> None:
        super().__init__(conf)
        self.handed = 0

    def produce(self, *args: Any, **kwargs: Any) -> None:
        super().produce(*args, **kwargs)
        self.handed += 1


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'relay.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    e = make_engine(url)
    migrate(e)
    return e


@pytest.fixture
def topic(stack: Any) -> str:
    name = f"sg.relay-{uuid.uuid4().hex[:10]}.outbox"
    admin = AdminClient(stack.kafka_config())
    for f in admin.create_topics([NewTopic(name, 3, 1)]).values():
        f.result(timeout=30)
    return name


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A loopback address that accepts TCP connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def _enqueue(engine: Engine, topic: str) -> set[str]:
    ids = [str(uuid.uuid4()) for _ in range(ROWS)]
    with engine.begin() as conn:
        enqueue(
            conn,
            [OutgoingMessage(i, topic, b"k", b"v", {"sgbus-event-id": i}) for i in ids],
        )
    return set(ids)


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        q = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(conn.execute(q).scalar_one())


def _ids_on(bootstrap: str, topic: str, at_least: int) -> Counter[str]:
    consumer = Consumer(
        {
            **client_conf(bootstrap),
            "group.id": f"relay-check-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    seen: Counter[str] = Counter()
    deadline, quiet_until = time.monotonic() + 60, None
    try:
        while time.monotonic() < deadline:
            for m in consumer.consume(500, 0.5):
                if m.error() is None:
                    seen[dict(m.headers() or [])["sgbus-event-id"].decode()] += 1
            if sum(seen.values()) >= at_least:
                quiet_until = quiet_until or time.monotonic() + 2.0
                if time.monotonic() >= quiet_until:
                    break
    finally:
        consumer.close()
    return seen


def test_rows_still_queued_after_a_timed_out_wait_are_not_sent_again(
    stack: Any, engine: Engine, topic: str
) -> None:
    ids = _enqueue(engine, topic)
    # The broker is fine; the copies just stay in the producer's queue for 6 s.
    producer = CountingProducer(
        {**stack.kafka_config(), "linger.ms": 6000, "message.timeout.ms": 60000}
    )
    relay = OutboxRelay(engine, producer, message_timeout_s=60)
    for _ in range(3):
        with pytest.raises(RelayError, match="not confirmed in time"):
            relay.drain(timeout_s=0.5)
        relay.relay_once()
    assert producer.handed == ROWS and len(producer) == ROWS, "a queued row was sent again"
    assert _unsent(engine) == ROWS

    assert relay.drain(timeout_s=30) == ROWS
    assert producer.handed == ROWS and _unsent(engine) == 0
    seen = _ids_on(stack.bootstrap, topic, ROWS)
    assert set(seen) == ids and set(seen.values()) == {1}, "each row on the topic once"


def test_rows_a_silent_broker_never_took_are_sent_once_its_reports_came_back(
    stack: Any, engine: Engine, topic: str, silent_broker: str
) -> None:
    ids = _enqueue(engine, topic)
    stuck = CountingProducer({**client_conf(silent_broker), "message.timeout.ms": 4000})
    relay = OutboxRelay(engine, stuck, message_timeout_s=4)
    with pytest.raises(RelayError, match="not confirmed in time"):
        relay.drain(timeout_s=1)
    healthy = CountingProducer(stack.kafka_config())
    other = OutboxRelay(engine, healthy)
    assert other.drain(timeout_s=5) == 0, "rows leased to the stuck relay were taken"
    assert healthy.handed == 0

    failures = 0
    deadline = time.monotonic() + 30
    while relay.in_flight and time.monotonic() < deadline:
        try:
            relay.relay_once()
        except RelayError as exc:
            failures += 1
            assert exc.reason == "delivery failed: _MSG_TIMED_OUT"
        time.sleep(0.2)
    assert relay.in_flight == 0, "every copy reported within message.timeout.ms"
    assert failures >= 1 and stuck.handed == ROWS, "nothing sent twice while in flight"

    assert other.drain(timeout_s=30) == ROWS
    assert _unsent(engine) == 0
    seen = _ids_on(stack.bootstrap, topic, ROWS)
    assert set(seen) == ids and set(seen.values()) == {1}, "nothing lost, nothing doubled"
