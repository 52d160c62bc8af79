"""Routing while the schema registry cannot be asked: a valid record is never a dead letter,
and a bad one is dead-lettered without the registry once the router's own ids are known."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.parties import DEAD_LETTER_TOPIC
from sgbus.bus.serde import RegistryUnavailable, Serde, build_serde
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord
from sgbus.consumers.router.service import ROUTER_OWN_EVENTS
from sgbus.demo.synthetic import approval_result

CAT = example_catalogue()
OUTBOX = "sg.weihai-approval.outbox"


class ConnectError(Exception):
    """Named like the HTTP client's "could not connect"."""


class FlakyRegistry:
    """An in-memory registry that can be made unreachable."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.down = False
        self.asked = 0

    def _ask(self) -> None:
        self.asked += 1
        if self.down:
            raise ConnectError("connection refused")

    def register_schema(self, subject: str, schema: Any) -> int:
        self._ask()
        return int(self.inner.register_schema(subject, schema))

    def lookup_schema(self, subject: str, schema: Any) -> Any:
        self._ask()
        return self.inner.lookup_schema(subject, schema)

    def get_schema(self, schema_id: int) -> Any:
        self._ask()
        return self.inner.get_schema(schema_id)


@pytest.fixture
def registry() -> FlakyRegistry:
    return FlakyRegistry(SchemaRegistryClient.new_client({"url": "mock://router-registry"}))


def valid_value(registry: FlakyRegistry) -> bytes:
    event = approval_result(
        CAT.matter("WH-A1-001"),
        1,
        sender="weihai-approval",
        region="371000",
        decided_at=dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC),
        rng=random.Random(1),
    )
    return build_serde(registry_client=registry).encode(event, OUTBOX)


def router_serde(registry: FlakyRegistry) -> Serde:
    """A serde as the router has it after start-up: its own events' ids resolved."""
    serde = build_serde(registry_client=registry)
    for name in ROUTER_OWN_EVENTS:
        serde.framing.header(name, DEAD_LETTER_TOPIC)
    return serde


def test_a_valid_record_is_not_dead_lettered_while_the_registry_is_away(
    registry: FlakyRegistry,
) -> None:
    value = valid_value(registry)
    serde = router_serde(registry)
    registry.down = True
    rec = InRecord(OUTBOX, 0, 5, b"k", value, {})
    with pytest.raises(RegistryUnavailable):
        route_record(rec, serde, CatalogueDirectory(CAT))
    registry.down = False
    routed = route_record(rec, serde, CatalogueDirectory(CAT))
    assert routed.rejected is None and routed.out


def test_a_bad_record_is_dead_lettered_without_the_registry(registry: FlakyRegistry) -> None:
    serde = router_serde(registry)
    registry.down = True
    asked = registry.asked
    routed = route_record(InRecord(OUTBOX, 0, 6, b"k", b"junk", {}), serde, CatalogueDirectory(CAT))
    assert routed.rejected is not None and routed.out[0].topic == DEAD_LETTER_TOPIC
    assert registry.asked == asked  # the DeadLetter id came from the start-up cache


def test_without_the_start_up_ids_a_dead_letter_waits_for_the_registry(
    registry: FlakyRegistry,
) -> None:
    serde = build_serde(registry_client=registry)
    registry.down = True
    with pytest.raises(RegistryUnavailable):  # transient: retried, never a crash
        route_record(InRecord(OUTBOX, 0, 7, b"k", b"junk", {}), serde, CatalogueDirectory(CAT))
