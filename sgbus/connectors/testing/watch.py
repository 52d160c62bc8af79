"""Watching a party's outbox from the moment a test starts: which event ids arrived, how often."""

from __future__ import annotations

import threading
import time
from collections import Counter

from confluent_kafka import Consumer, KafkaException, TopicPartition

from sgbus.bus import headers as h
from sgbus.bus.headers import header_map
from sgbus.bus.parties import outbox_topic
from sgbus.stack.testing import StackEndpoints


class OutboxWatcher:
    """Counts event ids written to ``party``'s outbox after it was created (as the test's
    super-user inspector, reading committed records only)."""

    def __init__(self, stack: StackEndpoints, party: str) -> None:
        self.topic = outbox_topic(party)
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._consumer = Consumer(
            stack.kafka_config(
                **{
                    "group.id": f"t-watch-{party}",
                    "enable.auto.commit": False,
                    "isolation.level": "read_committed",
                }
            )
        )
        self._consumer.assign(self._ends())
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _ends(self, timeout_s: float = 60.0) -> list[TopicPartition]:
        """Each partition's end now (retried while a new topic's leaders are elected)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                meta = self._consumer.list_topics(self.topic, timeout=30).topics[self.topic]
                return [
                    TopicPartition(self.topic, p, self._high(p)) for p in sorted(meta.partitions)
                ]
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _high(self, partition: int) -> int:
        tp = TopicPartition(self.topic, partition)
        return int(self._consumer.get_watermark_offsets(tp, timeout=30)[1])

    def _run(self) -> None:
        while not self._stop.is_set():
            for m in self._consumer.consume(500, timeout=0.5):
                if m.error() is None:
                    event_id = header_map(m.headers()).get(h.EVENT_ID)
                    if event_id:
                        with self._lock:
                            self.counts[event_id] += 1

    def seen(self, ids: set[str]) -> set[str]:
        """Those of ``ids`` that arrived."""
        with self._lock:
            return {i for i in ids if self.counts[i] > 0}

    def copies(self, ids: set[str]) -> dict[str, int]:
        """How many times each of ``ids`` arrived."""
        with self._lock:
            return {i: self.counts[i] for i in ids}

    def close(self) -> None:
        """Stop reading."""
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()
