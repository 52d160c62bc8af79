"""Consumers whose position lives in SQL, beside the state the records produced.

On every partition assignment the consumer seeks to the offsets stored in the database, so
after a crash it resumes exactly after the last committed database transaction: no record is
applied twice, none is skipped. Offsets are also committed to Kafka (asynchronously, after
the database) only so that lag is visible to the usual tools.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import Engine

from sgbus.bus.store.offsets import load_offsets

PartitionsHook = Callable[[list[TopicPartition]], None]


def subscribe_from_store(
    consumer: Consumer,
    engine: Engine,
    group_id: str,
    topics: Sequence[str],
    on_assigned: PartitionsHook | None = None,
    on_revoked: PartitionsHook | None = None,
) -> None:
    """Subscribe ``consumer`` so that each assignment starts at the offsets in ``engine``.

    ``on_assigned`` and ``on_revoked`` let the caller follow its assignment (called after the
    consumer is positioned, and before partitions are taken away).
    """

    def on_assign(c: Consumer, partitions: list[TopicPartition]) -> None:
        with engine.connect() as conn:
            stored = load_offsets(conn, group_id)
        for tp in partitions:
            # Nothing stored: from the beginning, not from offsets Kafka holds for the group
            # (those only mirror a store, maybe another one).
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        c.assign(partitions)
        if on_assigned is not None:
            on_assigned(partitions)

    def on_revoke(c: Consumer, partitions: list[TopicPartition]) -> None:
        if on_revoked is not None:
            on_revoked(partitions)
        c.unassign()

    consumer.subscribe(list(topics), on_assign=on_assign, on_revoke=on_revoke)


def mirror_to_kafka(consumer: Consumer, next_offsets: Mapping[tuple[str, int], int]) -> None:
    """Tell Kafka how far the database got (for lag metrics only; the database decides)."""
    if next_offsets:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in next_offsets.items()],
            asynchronous=True,
        )
