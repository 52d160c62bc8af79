"""Reading batches from a consumer: records, partition ends, outages, and rewinding.

:meth:`BatchReader.take` hides librdkafka's error events: the end of a partition is noted,
a fatal error raises, and an outage (no record, and an error event or a failed metadata
probe after a quiet spell) raises :class:`TransientError` so the service's health shows it
instead of looking idle. :meth:`BatchReader.rewind` puts the consumer back to the first
record of batches that were not applied, so a retry reads the same records again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import structlog
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from sgbus.bus.batching import take_batch
from sgbus.monitoring.lag import LagSnapshot
from sgbus.runtime.faults import TransientError, is_authorization_refusal, not_authorized

log = structlog.get_logger("sgbus.runtime.reader")

if TYPE_CHECKING:
    Msg: TypeAlias = Message[bytes, bytes]
else:
    Msg = Message


@dataclass
class Taken:
    """One batch: its records and the partitions found at their end (topic, partition) →
    end offset."""

    records: list[Msg] = field(default_factory=list)
    ends: dict[tuple[str, int], int] = field(default_factory=dict)
    #: The group rebalanced while the batch was read (only after :meth:`BatchReader.subscribe`):
    #: its records may mix positions from before and after, so the batch must not be applied
    #: as it is. Drop it and rewind to the committed offsets.
    rebalanced: bool = False


class BatchReader:
    """Takes batches from ``consumer`` and rewinds it when a batch could not be applied."""

    def __init__(
        self,
        consumer: Consumer,
        batch_size: int,
        poll_timeout_s: float,
        *,
        probe_topic: str | None = None,
        probe_after_s: float = 5.0,
    ) -> None:
        self.consumer = consumer
        #: The consumer's lag, recorded between batches for the metrics thread to read.
        self.lag = LagSnapshot()
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self._probe_topic = probe_topic
        self._probe_after_s = probe_after_s
        self._quiet_since = time.monotonic()
        self._rebalances = 0

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe ``consumer`` to ``topics`` (names or ``^`` patterns), counting rebalances
        so that :meth:`take` can flag a batch read across one."""

        def counted(_consumer: Consumer, _partitions: list[TopicPartition]) -> None:
            # The client assigns or revokes by itself after the callback.
            self._rebalances += 1

        self.consumer.subscribe(topics, on_assign=counted, on_revoke=counted, on_lost=counted)

    def take(self) -> Taken:
        """The next batch (maybe empty). Raises :class:`TransientError` while the broker is
        unreachable and nothing arrives, :class:`KafkaException` for a fatal client error."""
        taken = Taken()
        rebalances = self._rebalances
        outage: KafkaError | None = None
        for m in take_batch(self.consumer, self.batch_size, self.poll_timeout_s):
            err = m.error()
            if err is None:
                taken.records.append(m)
            elif err.code() == KafkaError._PARTITION_EOF:
                taken.ends[(m.topic() or "", m.partition() or 0)] = m.offset() or 0
            elif err.fatal():
                raise KafkaException(err)
            elif is_authorization_refusal(err.code()):
                raise not_authorized(err.str())
            else:
                outage = err
        taken.rebalanced = self._rebalances != rebalances
        if self.lag.due():
            self._record_lag()
        if taken.records:
            self._quiet_since = time.monotonic()
            return taken
        if outage is not None:
            raise TransientError("broker", outage.name())
        self._probe_when_quiet()
        return taken

    def _record_lag(self) -> None:
        try:
            self.lag.record_from(self.consumer)
        except KafkaException as exc:  # local calls; a failure only leaves the last record
            log.debug("lag not recorded", error=exc.args[0].name())

    def _probe_when_quiet(self) -> None:
        """After a quiet spell, check that the broker still answers (an outage sends one
        error event, then silence that would look like an idle topic)."""
        if time.monotonic() - self._quiet_since < self._probe_after_s:
            return
        self._quiet_since = time.monotonic()
        try:
            self.consumer.list_topics(self._probe_topic, timeout=5)
        except KafkaException as exc:
            raise TransientError("broker", f"metadata request failed: {exc.args[0]}") from exc

    def rewind(self, batches: Iterable[Sequence[Msg]]) -> None:
        """Seek every partition still assigned back to the first offset of ``batches``."""
        first: dict[tuple[str, int], int] = {}
        for batch in batches:
            for m in batch:
                key = (m.topic() or "", m.partition() or 0)
                offset = m.offset() or 0
                first[key] = min(first.get(key, offset), offset)
        if not first:
            return
        owned = {(tp.topic, tp.partition) for tp in self.consumer.assignment()}
        for (topic, partition), offset in first.items():
            if (topic, partition) in owned:
                self.consumer.seek(TopicPartition(topic, partition, offset))

    def rewind_to_committed(self, timeout_s: float = 10.0) -> None:
        """Seek every assigned partition to the group's committed offset (the earliest offset
        where the group has none, as the bus's consumers start).

        After a Kafka transaction whose outcome is unknown (a commit abandoned, a producer
        fenced) only the committed offsets say which records were written; read
        ``read_committed``, they are stable once the transaction is settled. Raises
        :class:`TransientError` when the coordinator cannot be asked.
        """
        assigned = self.consumer.assignment()
        if not assigned:
            return
        try:
            committed = self.consumer.committed(assigned, timeout=timeout_s)
        except KafkaException as exc:
            raise TransientError("broker", f"committed offsets: {exc.args[0]}") from exc
        for tp in committed:
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self.consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
