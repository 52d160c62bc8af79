"""Partitions assigned while the store is away are held, then positioned from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import save_offsets
from sgbus.consumers.stored_offsets import StoredPositions


class FakeConsumer:
    def __init__(self) -> None:
        self.assigned: list[tuple[str, int, int]] = []

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = [(tp.topic, tp.partition, tp.offset) for tp in partitions]

    def unassign(self) -> None:
        self.assigned = []


def test_an_assignment_the_store_cannot_answer_is_held_until_it_can(tmp_path: Path) -> None:
    store = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(store)
    with store.begin() as conn:
        save_offsets(conn, "g", {("t", 0): 42})
    away = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    positions = StoredPositions(away, "g", None, None)
    consumer: Any = FakeConsumer()
    positions.assign(consumer, [TopicPartition("t", 0), TopicPartition("t", 1)])
    assert consumer.assigned == [], "nothing read from a position the store did not give"
    with pytest.raises(Exception, match="connect"):
        positions.catch_up(consumer)
    positions.engine = store
    positions.catch_up(consumer)
    assert consumer.assigned == [("t", 0, 42), ("t", 1, OFFSET_BEGINNING)]
    positions.catch_up(consumer)  # nothing held any more: no store access, no change
    assert consumer.assigned == [("t", 0, 42), ("t", 1, OFFSET_BEGINNING)]


def test_a_revoke_forgets_partitions_never_positioned() -> None:
    away = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    positions = StoredPositions(away, "g", None, None)
    consumer: Any = FakeConsumer()
    positions.assign(consumer, [TopicPartition("t", 0)])
    positions.revoke(consumer, [TopicPartition("t", 0)])
    positions.catch_up(consumer)  # would raise if it still tried the store
    assert consumer.assigned == []
