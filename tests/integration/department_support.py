"""Helpers for department-service tests on the real broker: topics, a stand-in router, readers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from sqlalchemy import Engine, func, select

from sgbus.bus.events import Event
from sgbus.bus.parties import inbox_topic, outbox_topic
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings
from sgbus.bus.store.tables import inbox_items
from sgbus.consumers.department.service import DepartmentConfig, DepartmentService
from sgbus.stack.testing import StackEndpoints
from tests.kafka_conf import client_conf


def new_party() -> str:
    """A party id of its own for each test, so topics and groups never mix."""
    return f"dept-{uuid.uuid4().hex[:10]}"


def create_party_topics(stack: StackEndpoints, party: str, partitions: int = 3) -> None:
    """The party's inbox and outbox, as `sgbus topics apply` would make them, and the party
    a principal of the stack (its credentials and ACLs), as `sgbus stack up` would make it."""
    stack.enroll(party)
    admin = AdminClient(stack.kafka_config())
    topics = [
        NewTopic(t, num_partitions=partitions, replication_factor=1)
        for t in (inbox_topic(party), outbox_topic(party))
    ]
    for future in admin.create_topics(topics).values():
        future.result(timeout=30)


class Router:
    """Writes events into a party's inbox the way the router does: keyed by case, ids in headers."""

    def __init__(self, bootstrap: str, serde: Serde, party: str) -> None:
        self.topic = inbox_topic(party)
        self.serde = serde
        self.producer = Producer(
            {**client_conf(bootstrap), "enable.idempotence": True, "linger.ms": 5}
        )

    def send(self, events: Iterable[Event]) -> None:
        for e in events:
            self.raw(
                self.serde.encode(e, self.topic),
                key=e.envelope.case_key.encode(),
                headers={"sgbus-event-id": str(e.envelope.event_id)},
            )
        self.flush()

    def raw(self, value: bytes, key: bytes = b"k", headers: dict[str, str] | None = None) -> None:
        self.producer.produce(self.topic, value=value, key=key, headers=headers or {})
        self.producer.poll(0)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0, "the broker did not take every inbox record"


def read_topic(
    bootstrap: str,
    topic: str,
    serde: Serde,
    *,
    at_least: int,
    timeout: float = 60.0,
    settle: float = 1.5,
) -> list[Event]:
    """Every event on ``topic``: waits for ``at_least``, then ``settle`` more seconds for extras."""
    consumer = Consumer(
        {
            **client_conf(bootstrap),
            "group.id": f"test-reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    out: list[Event] = []
    deadline = time.monotonic() + timeout
    quiet_until: float | None = None
    try:
        while time.monotonic() < deadline:
            for m in consumer.consume(1000, 0.5):
                if m.error() is None:
                    out.append(
                        serde.decode(m.value() or b"", topic, m.partition() or 0, m.offset() or 0)
                    )
            if len(out) >= at_least:
                quiet_until = quiet_until or time.monotonic() + settle
                if time.monotonic() >= quiet_until:
                    break
    finally:
        consumer.close()
    return out


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stored_count(engine: Engine, party: str) -> int:
    """Items in the party's store."""
    q = select(func.count()).select_from(inbox_items).where(inbox_items.c.party == party)
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def rows(engine: Engine, party: str) -> list[dict[str, Any]]:
    """Every stored item of ``party`` (no payload)."""
    cols = [c for c in inbox_items.c if c.name != "value"]
    with engine.connect() as conn:
        result = conn.execute(select(*cols).where(inbox_items.c.party == party))
        return [dict(r._mapping) for r in result]


class Running:
    """A department service on a thread of the test process."""

    def __init__(self, config: DepartmentConfig, endpoints: Any, serde: Serde) -> None:
        settings = Settings(
            bootstrap=endpoints.bootstrap, schema_registry=endpoints.schema_registry
        )
        self.service = DepartmentService(config, settings, serde=serde)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.service.run(self.stop)
        except BaseException as exc:
            self.error = exc

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the service did not stop"
        assert self.error is None, self.error
