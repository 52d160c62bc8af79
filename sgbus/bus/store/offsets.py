"""Consumer offsets kept in SQL, in the same transaction as the effects of the consumed records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, select

from sgbus.bus.store.tables import consumer_offsets
from sgbus.bus.store.upsert import upsert

TopicPartition = tuple[str, int]


def load_offsets(conn: Connection, group_id: str) -> dict[TopicPartition, int]:
    """Next offset to read for each (topic, partition) this group has stored."""
    rows = conn.execute(
        select(
            consumer_offsets.c.topic, consumer_offsets.c.partition, consumer_offsets.c.next_offset
        ).where(consumer_offsets.c.group_id == group_id)
    )
    return {(r.topic, r.partition): r.next_offset for r in rows}


def save_offsets(
    conn: Connection, group_id: str, next_offsets: Mapping[TopicPartition, int]
) -> None:
    """Record the next offset to read; call inside the transaction that stored the records."""
    upsert(
        conn,
        consumer_offsets,
        [
            {"group_id": group_id, "topic": t, "partition": p, "next_offset": o}
            for (t, p), o in next_offsets.items()
        ],
        keys=("group_id", "topic", "partition"),
    )


def next_offsets_of(records: Iterable[tuple[str, int, int]]) -> dict[TopicPartition, int]:
    """From (topic, partition, offset) of processed records, the next offset per partition."""
    out: dict[TopicPartition, int] = {}
    for topic, partition, offset in records:
        key = (topic, partition)
        out[key] = max(out.get(key, 0), offset + 1)
    return out
