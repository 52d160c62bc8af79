"""Golden files: a fully populated Chinese example per event type, decoded and compared."""

from __future__ import annotations

from typing import Any

import pytest

from sgbus.bus.events import EVENT_CLASSES
from sgbus.bus.serde import build_serde
from sgbus.bus.validation import validate_event
from tests.golden_data import GOLDEN_DIR, golden_bytes, golden_event

EVENTS = sorted(EVENT_CLASSES)
SERDE = build_serde(None)


def test_one_golden_example_per_event_type() -> None:
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.json")) == EVENTS
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.avro")) == EVENTS


def _empty_paths(value: Any, path: str = "") -> list[str]:
    if value is None or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empty_paths(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _empty_paths(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("name", EVENTS)
def test_golden_example_is_fully_populated(name: str) -> None:
    assert _empty_paths(golden_event(name).model_dump()) == []


@pytest.mark.parametrize("name", EVENTS)
def test_golden_example_passes_validation(name: str) -> None:
    assert [str(i) for i in validate_event(golden_event(name))] == []


@pytest.mark.parametrize("name", EVENTS)
def test_golden_bytes_decode_to_the_example(name: str) -> None:
    decoded = SERDE.decode(golden_bytes(name), "golden", 0, 0)
    assert decoded == golden_event(name)


@pytest.mark.parametrize("name", EVENTS)
def test_encoding_is_unchanged(name: str) -> None:
    # A failure here means the wire format of this event changed: bump its schema version.
    assert SERDE.encode(golden_event(name), "golden") == golden_bytes(name)


def test_golden_examples_are_in_chinese() -> None:
    for name in EVENTS:
        text = (GOLDEN_DIR / f"{name}.json").read_text("utf-8")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), name
