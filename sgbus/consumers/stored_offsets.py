"""Consumers whose position lives in SQL, beside the state the records produced.

On every partition assignment the consumer seeks to the offsets stored in the database, so
after a crash it resumes exactly after the last committed database transaction: no record is
applied twice, none is skipped. Offsets are also committed to Kafka (asynchronously, after
the database) only so that lag is visible to the usual tools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from confluent_kafka import Consumer, TopicPartition
from sqlalchemy import Engine

from sgbus.bus.store.offsets import load_offsets


def subscribe_from_store(
    consumer: Consumer, engine: Engine, group_id: str, topics: Sequence[str]
) -> None:
    """Subscribe ``consumer`` so that each assignment starts at the offsets in ``engine``."""

    def on_assign(c: Consumer, partitions: list[TopicPartition]) -> None:
        with engine.connect() as conn:
            stored = load_offsets(conn, group_id)
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition))
            if offset is not None:
                tp.offset = offset
        c.assign(partitions)

    consumer.subscribe(list(topics), on_assign=on_assign)


def mirror_to_kafka(consumer: Consumer, next_offsets: Mapping[tuple[str, int], int]) -> None:
    """Tell Kafka how far the database got (for lag metrics only; the database decides)."""
    if next_offsets:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in next_offsets.items()],
            asynchronous=True,
        )
