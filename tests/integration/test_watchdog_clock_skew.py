"""Sender clock skew through a real audit log: a claim stamped far from the time the broker
got it is timed at its record's timestamp, whichever way the sender's clock is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition
from sqlalchemy import select

from sgbus.bus import headers as h
from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import obligations
from sgbus.consumers.watchdog.wiring import RunOptions
from sgbus.stack.testing import StackEndpoints
from tests.kafka_conf import client_conf
from tests.watchdog_bus import Topics, create_topics, produce_audit, run_until_idle, settings_for
from tests.watchdog_kit import Scene, catalogue_text

pytestmark = pytest.mark.integration


def record_times(bootstrap: str, topic: str) -> dict[str, datetime]:
    """Event id → the Kafka timestamp of its audit record."""
    c = Consumer({**client_conf(bootstrap), "group.id": "t-ts", "enable.partition.eof": True})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        c.assign([TopicPartition(topic, p, 0) for p in parts])
        out: dict[str, datetime] = {}
        at_end: set[int] = set()
        while len(at_end) < len(parts):
            for m in c.consume(100, 1.0):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_end.add(m.partition() or 0)
                    continue
                eid = h.header_map(m.headers()).get(h.EVENT_ID, "")
                out[eid] = datetime.fromtimestamp(m.timestamp()[1] / 1000, UTC)
        return out
    finally:
        c.close()


def test_claims_from_skewed_clocks_are_timed_when_the_bus_got_them(
    stack: StackEndpoints, tmp_path: Path
) -> None:
    s = Scene("anqiu")
    topics = Topics.fresh("skew")
    create_topics(stack.bootstrap, [topics.audit, topics.outbox])
    now = datetime.now(UTC)
    result = s.approval_result("skew-1", now, to=("market", "health"))
    fast = s.claim("skew-2", result, "market", now + timedelta(hours=3))  # post-dated
    slow = s.claim("skew-3", result, "health", now - timedelta(hours=3))  # backdated
    near = s.approval_result("skew-4", now + timedelta(minutes=2), to=("market",))
    near_claim = s.claim("skew-5", near, "market", now + timedelta(minutes=3))
    produce_audit(
        stack.bootstrap,
        build_serde(stack.registry_config()),
        topics.audit,
        [result, fast, slow, near, near_claim],
    )
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'watchdog.db'}"
    opts = RunOptions(db_url=db, policy="anqiu", catalogue=cat, config=topics.config())
    run_until_idle(settings_for(stack, tmp_path), opts)  # the real clock: skew is checked
    appended = record_times(stack.bootstrap, topics.audit)
    with make_engine(db).connect() as conn:
        rows = conn.execute(
            select(obligations.c.answer_event_id, obligations.c.answered_at).where(
                obligations.c.flow == "claim"
            )
        ).all()
    answered = {r.answer_event_id: r.answered_at for r in rows if r.answer_event_id}
    for claim in (fast, slow):
        eid = str(claim.envelope.event_id)
        assert answered[eid] == appended[eid], "timed at the record's timestamp"
        assert abs(answered[eid] - claim.envelope.occurred_at) > timedelta(hours=2)
    # Within the tolerance (two or three minutes off), the sender's time stands.
    eid = str(near_claim.envelope.event_id)
    assert answered[eid] == near_claim.envelope.occurred_at
