"""Consumers whose position lives in SQL, beside the state the records produced.

On every partition assignment the consumer seeks to the offsets stored in the database, so
after a crash it resumes exactly after the last committed database transaction: no record is
applied twice, none is skipped. Offsets are also committed to Kafka (asynchronously, after
the database) only so that lag is visible to the usual tools.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from sqlalchemy import Engine

from sgbus.bus.store.offsets import load_offsets
from sgbus.runtime.faults import is_transient

log = structlog.get_logger("sgbus.consumers.stored_offsets")

PartitionsHook = Callable[[list[TopicPartition]], None]


class StoredPositions:
    """Where a consumer subscribed by :func:`subscribe_from_store` starts on each assignment.

    When the store cannot be read at the moment partitions are assigned (it is restarting),
    they are held unassigned instead of read from a wrong position; :meth:`catch_up`, called
    by the service before it reads, positions them once the store answers.
    """

    def __init__(
        self,
        engine: Engine,
        group_id: str,
        on_assigned: PartitionsHook | None,
        on_revoked: PartitionsHook | None,
    ) -> None:
        self.engine = engine
        self.group_id = group_id
        self.on_assigned = on_assigned
        self.on_revoked = on_revoked
        self.unpositioned: list[TopicPartition] = []

    def assign(self, c: Consumer, partitions: list[TopicPartition]) -> None:
        """Assign ``partitions`` at their stored offsets; if the store is away, hold them."""
        try:
            self._assign(c, partitions)
        except Exception as exc:
            if not is_transient(exc):
                raise
            # Acknowledge the assignment without reading: the group must not wait for us.
            self.unpositioned = list(partitions)
            c.assign([])
            log.warning("store away at assignment, partitions held", partitions=len(partitions))

    def revoke(self, c: Consumer, partitions: list[TopicPartition]) -> None:
        """Give partitions back (and forget those never positioned)."""
        self.unpositioned = []
        if self.on_revoked is not None:
            self.on_revoked(partitions)
        c.unassign()

    def catch_up(self, c: Consumer) -> None:
        """Position partitions held since an assignment the store could not answer; raises
        the store's (transient) error while it is still away."""
        if self.unpositioned:
            self._assign(c, self.unpositioned)
            self.unpositioned = []

    def _assign(self, c: Consumer, partitions: list[TopicPartition]) -> None:
        with self.engine.connect() as conn:
            stored = load_offsets(conn, self.group_id)
        for tp in partitions:
            # Nothing stored: from the beginning, not from offsets Kafka holds for the group
            # (those only mirror a store, maybe another one).
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        c.assign(partitions)
        if self.on_assigned is not None:
            self.on_assigned(partitions)


def subscribe_from_store(
    consumer: Consumer,
    engine: Engine,
    group_id: str,
    topics: Sequence[str],
    on_assigned: PartitionsHook | None = None,
    on_revoked: PartitionsHook | None = None,
) -> StoredPositions:
    """Subscribe ``consumer`` so that each assignment starts at the offsets in ``engine``.

    ``on_assigned`` and ``on_revoked`` let the caller follow its assignment (called after the
    consumer is positioned, and before partitions are taken away). Call
    :meth:`StoredPositions.catch_up` before each read, in case the store was away at an
    assignment.
    """
    positions = StoredPositions(engine, group_id, on_assigned, on_revoked)
    consumer.subscribe(list(topics), on_assign=positions.assign, on_revoke=positions.revoke)
    return positions


def mirror_to_kafka(consumer: Consumer, next_offsets: Mapping[tuple[str, int], int]) -> None:
    """Tell Kafka how far the database got (for lag metrics only; the database decides)."""
    if next_offsets:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in next_offsets.items()],
            asynchronous=True,
        )
