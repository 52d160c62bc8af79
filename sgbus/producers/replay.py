"""Publishing dead letters' originals again, to the outboxes they came from.

An idempotent producer (``acks=all``) writes each original with its key and headers and the
``REPLAY_OF`` header; the router delivers a replayed event once, however often it is replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from sgbus.bus.deadletters import ReplayRecord
from sgbus.bus.kafka_clients import make_producer
from sgbus.bus.settings import Settings


@dataclass
class ReplayReport:
    """What a replay published, and what the broker refused (dead-letter id and error)."""

    published: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def publish_replays(
    settings: Settings,
    records: Sequence[ReplayRecord],
    progress: Callable[[int], None] = lambda _n: None,
    producer: Producer | None = None,
    timeout_s: float = 60,
) -> ReplayReport:
    """Publish ``records`` in order and wait for the broker; ``progress`` gets the number of
    records acknowledged so far."""
    producer = producer or make_producer(settings)
    report = ReplayReport()

    def done(dead_id: str) -> Callable[[KafkaError | None, Message[Any, Any]], None]:
        def delivered(err: KafkaError | None, _msg: Message[Any, Any]) -> None:
            if err is None:
                report.published.append(dead_id)
            else:
                report.failed.append((dead_id, err.str()))
            progress(len(report.published) + len(report.failed))

        return delivered

    for rec in records:
        while True:
            try:
                producer.produce(
                    rec.topic,
                    key=rec.key,
                    value=rec.value,
                    headers=rec.headers,
                    on_delivery=done(rec.dead_letter_id),
                )
                break
            except BufferError:
                producer.poll(0.1)  # local queue full: let deliveries drain
        producer.poll(0)
    left = producer.flush(timeout_s)
    acknowledged = set(report.published) | {d for d, _ in report.failed}
    if left:
        report.failed += [
            (r.dead_letter_id, "no answer from the broker")
            for r in records
            if r.dead_letter_id not in acknowledged
        ]
    return report
