"""How far the audit log has been read, by this instance and by the whole consumer group.

Deadlines are enforced only once the audit log has been read to its end. Otherwise an answer
already on the bus, but not yet read, would be judged missing: the sweep would breach an
obligation that was in fact discharged in time, and outcomes would depend on how fast the
watchdog happened to read. "Read to the end" is judged for the whole group, from the offsets
in the shared store, because any instance's sweep covers every obligation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from confluent_kafka import IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from sqlalchemy import Connection

from sgbus.bus.store.offsets import load_offsets


class LocalProgress:
    """Which of this instance's assigned partitions it has read to the end (partition EOF)."""

    def __init__(self) -> None:
        self.assigned: set[int] = set()
        self.at_end: dict[int, int] = {}

    def assign(self, partitions: Iterable[int]) -> None:
        """New partitions: not known to be at their end yet."""
        for p in partitions:
            self.assigned.add(p)
            self.at_end.pop(p, None)

    def revoke(self, partitions: Iterable[int]) -> None:
        """Partitions taken away."""
        for p in partitions:
            self.assigned.discard(p)
            self.at_end.pop(p, None)

    def record(self, partition: int) -> None:
        """A record was read from ``partition``: more may follow."""
        self.at_end.pop(partition, None)

    def end(self, partition: int, next_offset: int) -> None:
        """The consumer reported the end of ``partition`` at ``next_offset``."""
        self.at_end[partition] = next_offset

    def all_at_end(self) -> bool:
        """Whether every assigned partition was read to its end (vacuously true with none)."""
        return all(p in self.at_end for p in self.assigned)


def group_caught_up(
    conn: Connection, group_id: str, topic: str, watermarks: Mapping[int, tuple[int, int]]
) -> bool:
    """Whether the group's stored offsets reach the end of every partition of ``topic``.

    ``watermarks`` maps each partition to its (low, high) offsets on the broker. A partition
    the group never stored is caught up only when it holds nothing.
    """
    stored = load_offsets(conn, group_id)
    for partition, (low, high) in watermarks.items():
        if stored.get((topic, partition), low) < high:
            return False
    return True


def read_watermarks(
    admin: AdminClient, topic: str, partitions: list[int], timeout_s: float = 10
) -> dict[int, tuple[int, int]]:
    """(first, end) offsets of each partition, the end as a ``read_committed`` consumer sees
    it (an open transaction's records are not there yet)."""

    def query(spec: OffsetSpec) -> dict[int, int]:
        futures = admin.list_offsets(
            {TopicPartition(topic, p): spec for p in partitions},
            isolation_level=IsolationLevel.READ_COMMITTED,
            request_timeout=timeout_s,
        )
        return {tp.partition: f.result(timeout_s).offset for tp, f in futures.items()}

    first = query(OffsetSpec.earliest())  # type: ignore[no-untyped-call]
    end = query(OffsetSpec.latest())  # type: ignore[no-untyped-call]
    return {p: (first[p], end[p]) for p in partitions}
