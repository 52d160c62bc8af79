"""Kafka helpers for watchdog integration tests: write the audit log the way the router does,
read the watchdog's outbox back, and run a watchdog in-process or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from sgbus.bus import headers as h
from sgbus.bus.events import Event
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings
from sgbus.consumers.watchdog.service import Watchdog, WatchdogConfig
from sgbus.consumers.watchdog.wiring import RunOptions, build_watchdog
from sgbus.stack.testing import StackEndpoints
from tests.kafka_conf import client_conf
from tests.watchdog_kit import audit_headers

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Topics:
    """A private audit log, outbox and group for one test."""

    audit: str
    outbox: str
    group: str

    @classmethod
    def fresh(cls, tag: str) -> Topics:
        u = uuid.uuid4().hex[:8]
        return cls(f"t-{tag}-audit-{u}", f"t-{tag}-outbox-{u}", f"t-{tag}-{u}")

    def config(self, **kw: object) -> WatchdogConfig:
        return WatchdogConfig(
            group_id=self.group,
            audit_topic=self.audit,
            outbox_topic=self.outbox,
            **kw,  # type: ignore[arg-type]
        )


def settings_for(stack: StackEndpoints, home: Path) -> Settings:
    return Settings(bootstrap=stack.bootstrap, schema_registry=stack.schema_registry, home=home)


def create_topics(bootstrap: str, names: Iterable[str], partitions: int = 3) -> None:
    admin = AdminClient(client_conf(bootstrap))
    futures = admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    for f in futures.values():
        f.result(30)


def produce_audit(
    bootstrap: str,
    serde: Serde,
    topic: str,
    events: Sequence[Event | tuple[Event, tuple[str, ...]]],
) -> None:
    """Write ``events`` to ``topic`` as the router writes ``sg.audit``: original bytes, case key,
    delivery headers (an event alone is delivered to its envelope recipients)."""
    p = Producer({**client_conf(bootstrap), "enable.idempotence": True, "linger.ms": 20})
    for item in events:
        ev, to = item if isinstance(item, tuple) else (item, None)
        p.produce(
            topic,
            key=ev.envelope.case_key.encode(),
            value=serde.encode(ev, topic),
            headers=audit_headers(ev, to),
        )
        p.poll(0)
    assert p.flush(60) == 0


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    c = Consumer({**client_conf(bootstrap), "group.id": "t-probe"})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    finally:
        c.close()


@dataclass(frozen=True)
class Published:
    """One record of the outbox topic."""

    partition: int
    offset: int
    event_id: str
    event: Event


def read_topic(
    bootstrap: str, serde: Serde, topic: str, start: dict[int, int] | None = None
) -> list[Published]:
    """Every record of ``topic`` from ``start`` (default: the beginning) to its current end."""
    c = Consumer(
        {
            **client_conf(bootstrap),
            "group.id": f"t-read-{uuid.uuid4().hex[:6]}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        starts = start or {}
        c.assign([TopicPartition(topic, p, starts.get(p, 0)) for p in parts])
        at_end: set[int] = set()
        out: list[Published] = []
        deadline = time.monotonic() + 60
        while len(at_end) < len(parts) and time.monotonic() < deadline:
            for m in c.consume(500, 1.0):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_end.add(m.partition())
                    continue
                at_end.discard(m.partition())
                ev = serde.decode(m.value(), topic, m.partition(), m.offset())
                eid = h.header_map(m.headers()).get(h.EVENT_ID, "")
                out.append(Published(m.partition(), m.offset(), eid, ev))
        assert len(at_end) == len(parts), f"could not read {topic} to its end"
        return out
    finally:
        c.close()


def run_until_idle(settings: Settings, opts: RunOptions, timeout_s: float = 120) -> Watchdog:
    """Run a watchdog in this process until it has nothing left to do."""
    wd = build_watchdog(settings, opts)
    wd.start()
    deadline = time.monotonic() + timeout_s
    try:
        wd.run(lambda: time.monotonic() > deadline, until_idle=True)
    finally:
        wd.close()
    assert time.monotonic() <= deadline, "watchdog did not become idle in time"
    return wd


def watchdog_command(
    settings: Settings, topics: Topics, db_url: str, *extra: str
) -> tuple[list[str], dict[str, str]]:
    """argv and environment of ``sgbus watchdog run`` as a subprocess."""
    argv = [
        sys.executable,
        "-c",
        "from sgbus.cli import main; main()",
        "watchdog",
        "run",
        "--db",
        db_url,
        "--group",
        topics.group,
        "--audit-topic",
        topics.audit,
        "--outbox-topic",
        topics.outbox,
        *extra,
    ]
    env = {
        **os.environ,
        "SGBUS_BOOTSTRAP": settings.bootstrap_servers(),
        "SGBUS_SCHEMA_REGISTRY": settings.registry_url(),
        "SGBUS_HOME": str(settings.home),
        "SGBUS_METRICS_PORT": "0",
        "SGBUS_LOG_LEVEL": "WARNING",
    }
    return argv, env


def start_watchdog(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    fh = log.open("ab")
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
